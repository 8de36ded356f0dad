"""Loopback servers that speak the wire formats docbot talks to, for tests and benchmarks."""
