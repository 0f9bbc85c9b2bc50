"""Data-subject requests: access, portability, rectification, erasure, restriction, objection."""
