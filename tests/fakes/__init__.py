"""Loopback fakes of outside services, for tests and benchmarks that must not leave 127.0.0.1."""
