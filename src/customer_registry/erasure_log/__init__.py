"""The erasure log: erasures recorded outside the database, re-applied after a restore (R14)."""
