"""Following the plan through time: the indicator register and the 两型 index, restoration deadlines,
comparisons between dates."""
