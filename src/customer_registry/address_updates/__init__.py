"""Name and address updates from update services (R10), imported in bulk."""
