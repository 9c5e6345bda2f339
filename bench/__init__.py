"""Benchmarks run by `make bench` (see DESIGN.md §11); never by the test suite."""
