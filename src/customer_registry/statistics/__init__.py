"""Statistics of the register (R2, R3): aggregates only, with small cells suppressed."""
