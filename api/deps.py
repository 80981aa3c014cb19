"""Dependencies every router shares: the database session, settings, auth and pagination."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from api.errors import ApiError
from common.limits import MAX_HYPOTHESIS_ID, MAX_INT32, MAX_INT64, MAX_SYMBOL
from common.settings import Settings
from common.text import POLICY
from storage.db import Database
from storage.models import ApiToken
from storage.queries.tokens import verify_token

MAX_PAGE = 500
DEFAULT_PAGE = 50

_PLAIN_DIGITS = re.compile(r"-?[0-9]+")


def _plain_digits(value: object) -> object:
    """A query or path integer as the OpenAPI document's integer: its decimal digits alone.
    Pydantic's lax int would also read '1_0' as 10 and '8' followed by a Unicode space as 8."""
    if isinstance(value, str) and not _PLAIN_DIGITS.fullmatch(value):
        # pydantic's own type and words for a string that is no integer at all
        raise PydanticCustomError(
            "int_parsing", "Input should be a valid integer, written in the digits 0-9 alone"
        )
    return value


# Every integer a URL carries (path and query parameters) is read through this, placed after
# its Query or Path: placed before it, FastAPI documents ge and le under those names instead
# of minimum and maximum.
PLAIN_DIGITS = BeforeValidator(_plain_digits)

# Every string a URL carries is held to the text policy (docs/text-policy.md), as a body's
# strings are: a refused character is a 422 naming the parameter and the position. Without
# it a NUL reached the query, which PostgreSQL refuses to run (a 500; SQLite said 404).
HypothesisIdPath = Annotated[
    str,
    Path(min_length=1, max_length=MAX_HYPOTHESIS_ID, description="e.g. h-51e7234f"),
    POLICY,
]
SymbolPath = Annotated[
    str, Path(min_length=1, max_length=MAX_SYMBOL, description="e.g. MTOR"), POLICY
]
# The API's and the view's evaluation id alike: past the 32-bit column PostgreSQL refuses
# the lookup (a 500), where a 422 names the bound.
EvaluationIdPath = Annotated[
    int,
    Path(ge=1, le=MAX_INT32, description="The evaluation's id (a 32-bit database key)."),
    PLAIN_DIGITS,
]


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def app_settings(request: Request) -> Settings:
    """The settings this app was created with (``common.settings.get_settings`` reads the
    environment; an app built for a test may carry others)."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    """A read session per request; endpoints that write open their own transaction."""
    with database.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(app_settings)]

_bearer = HTTPBearer(auto_error=False, description="A token from `hyposcore token create NAME`.")


def require_token(
    database: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiToken:
    """The live API token the request carries; 401 when it is missing, unknown or revoked."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "this endpoint needs a bearer token: Authorization: Bearer <token>",
            headers=challenge,
        )
    with database.transaction() as session:
        token = verify_token(session, plain=credentials.credentials)
    if token is None:
        raise ApiError(401, "the bearer token is unknown or revoked", headers=challenge)
    return token


TokenDep = Annotated[ApiToken, Depends(require_token)]


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


OffsetQuery = Annotated[
    int,
    Query(ge=0, le=MAX_INT64, description="Items to skip (at most 2^63 - 1)."),
    PLAIN_DIGITS,
]


def pagination(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="Items per page."), PLAIN_DIGITS
    ] = DEFAULT_PAGE,
    offset: OffsetQuery = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


PageDep = Annotated[Page, Depends(pagination)]
