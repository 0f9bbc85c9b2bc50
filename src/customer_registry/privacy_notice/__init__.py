"""The register's privacy notice (R28), generated from the configuration that drives it."""
