"""Idempotent POST requests: a retry with the same `Idempotency-Key` replays the first response."""
