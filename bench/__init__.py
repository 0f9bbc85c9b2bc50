"""The benchmark suite: seeds PostgreSQL, serves the registry and a raw-driver baseline,
drives load from a separate process and prints service/baseline ratios.

Run `python -m bench --help`.
"""
