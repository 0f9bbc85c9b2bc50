"""Personal staff accounts, login and roles (R8, R16)."""
