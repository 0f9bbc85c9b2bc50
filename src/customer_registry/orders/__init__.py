"""Orders with their lines and invoices (R1, R9), and the finance billing view (R12)."""
