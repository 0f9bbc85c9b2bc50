"""The audit trail of every read and change of personal data."""
