"""Keyword-only query functions: the only place that writes SQL against the models."""
