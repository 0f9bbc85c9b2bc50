"""Who is calling: passwords, tokens, principals and permission checks."""
