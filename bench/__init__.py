"""Benchmarks: run by `make bench` (every bench/*.py), never by `make test`."""
