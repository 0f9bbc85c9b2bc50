"""Shared plumbing: database, errors, pagination, request context, the app factory."""
