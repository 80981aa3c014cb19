"""What every layer may use: settings, citation keys, logging context.

It imports nothing of the project, so any layer may import it.
"""
