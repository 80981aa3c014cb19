"""API write tokens: the plain token is shown once at creation; only its SHA-256 is stored.

A token is 32 random bytes, so a plain (unsalted) SHA-256 is enough: there is nothing to guess
by dictionary, and a hash lookup keeps verification a single indexed query.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.errors import InvalidInputError, NotFoundError, Problem
from storage.models import ApiToken, utcnow

TOKEN_PREFIX = "hs_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedToken:
    """A new token: ``plain`` is the only copy of the secret, to hand to its owner once."""

    token: ApiToken
    plain: str


def create_token(session: Session, *, name: str, now: datetime | None = None) -> CreatedToken:
    """Create a token called ``name``; names are unique, letters, digits and ``_.-``."""
    if not _NAME.match(name):
        raise InvalidInputError(
            [
                Problem(
                    "token",
                    "a token name is 1-100 letters, digits, '_', '.' or '-', "
                    "starting with a letter or digit",
                    field="name",
                )
            ]
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_sha256=token_digest(plain), created_at=now or utcnow())
    try:
        with session.begin_nested():
            session.add(token)
    except IntegrityError:
        raise InvalidInputError(
            [Problem("token", f"a token named {name!r} already exists", field="name")]
        ) from None
    return CreatedToken(token=token, plain=plain)


def verify_token(session: Session, *, plain: str, now: datetime | None = None) -> ApiToken | None:
    """The live token matching ``plain``, its last use recorded; None if unknown or revoked."""
    digest = token_digest(plain)
    token = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest))
    # The lookup is by digest; the constant-time compare keeps the check honest regardless.
    if token is None or not hmac.compare_digest(token.token_sha256, digest):
        return None
    if token.revoked_at is not None:
        return None
    token.last_used_at = now or utcnow()
    return token


def revoke_token(session: Session, *, name: str, now: datetime | None = None) -> ApiToken:
    """Revoke the token called ``name`` (revoking twice keeps the first time)."""
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise NotFoundError(f"token {name!r} does not exist")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))
