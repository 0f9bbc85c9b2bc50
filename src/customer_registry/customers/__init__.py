"""Customers of the register (R6, R7, R9, R10, R15, R25)."""
