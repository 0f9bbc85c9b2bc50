"""Consents and objections: the per-purpose ledger and the state derived from it."""
