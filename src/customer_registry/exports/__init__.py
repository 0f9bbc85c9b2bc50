"""Exports of the register for its listed purposes: mailing labels for direct advertising (R5)."""
