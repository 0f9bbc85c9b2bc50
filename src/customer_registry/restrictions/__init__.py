"""Restriction of processing (R23): a customer kept in storage but out of all processing."""
