"""Shared parts of the web benchmarks (bench/submit.py, bench/soak.py, bench/pg_restart.py).

A subpackage, not bench/*.py, so `make bench` (which runs every bench/*.py) does not run it.
"""
