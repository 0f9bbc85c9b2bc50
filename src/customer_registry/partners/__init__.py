"""Recipients of personal data, their API keys and the log of disclosures (R4, R8, R12, R13)."""
