"""``python -m hyposcore`` is the ``hyposcore`` command."""

from hyposcore.cli.main import app

app()
