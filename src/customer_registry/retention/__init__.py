"""Retention (R15): erase customers whose relationship ended longer ago than the rule allows."""
