"""Encroachment of projects on protected areas and water: the check, flags, the 两型 review and its reports."""
