"""Users, API tokens, login throttling and the audit trail."""
