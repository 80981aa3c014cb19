"""``hyposcore token``: API write tokens (the plain token is printed once, only at creation)."""

from __future__ import annotations

import typer

from hyposcore.cli.common import console, friendly_errors, open_database
from storage.queries.tokens import create_token, list_tokens, revoke_token

app = typer.Typer(help="Create, list and revoke HTTP API write tokens.", no_args_is_help=True)


@app.command()
@friendly_errors
def create(
    name: str = typer.Argument(..., metavar="NAME", help="A unique name, e.g. the client's."),
) -> None:
    """Create a token and print it; store it now, it cannot be shown again."""
    database = open_database()
    with database.transaction() as session:
        created = create_token(session, name=name)
    console.print(f"token {name!r} created; it is shown only now:", highlight=False)
    # Printed bare on its own line so scripts can capture it with `| tail -1`.
    print(created.plain)


@app.command("list")
def list_all() -> None:
    """List tokens by name with their state (never the tokens themselves)."""
    database = open_database()
    with database.sessions() as session:
        tokens = list_tokens(session)
    if not tokens:
        console.print("no tokens (create one: hyposcore token create NAME)")
        return
    for token in tokens:
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        console.print(
            f"{token.name}\t{state}\tcreated {token.created_at:%Y-%m-%d %H:%M}\tlast used {used}",
            markup=False,
            highlight=False,
        )


@app.command()
@friendly_errors
def revoke(name: str = typer.Argument(..., metavar="NAME", help="The token's name.")) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    database = open_database()
    with database.transaction() as session:
        token = revoke_token(session, name=name)
    console.print(f"token {token.name!r} revoked", highlight=False)
