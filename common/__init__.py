"""What every layer may use: settings, citation keys, logging context, input problems and the
page-score vocabulary.

It imports nothing of the project, so any layer may import it (the `layers` import-linter
contract in pyproject.toml holds it to that).
"""
