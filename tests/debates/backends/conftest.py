"""Each LLM backend wired to its loopback fake, behind one interface so tests run on both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from debates.backends.anthropic_backend import create_anthropic_backend
from debates.backends.base import AgentBackend, BackendRequest, Message, RequestContext
from debates.backends.openai_backend import create_openai_backend
from debates.case import Case, Evidence
from debates.schema import TurnOutput
from tests.fakes.anthropic_server import FakeAnthropicServer, text_of
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.scripted_server import RecordedRequest, ScriptedReply, ScriptedServer

# A loopback answer takes milliseconds, but a loaded 2-core machine (a garbage collection late in
# the suite, a worker process starting) can stall one for longer than half a second, and then a
# test of some other fault would meet a timeout instead. Tests of timeouts set their own.
TIMEOUT = 5.0


@dataclass
class Harness:
    """A started fake server, a backend pointed at it, and how to read what it was sent."""

    provider: str
    server: ScriptedServer
    make_backend: Callable[..., AgentBackend]
    system_of: Callable[[dict[str, Any]], str]
    user_texts_of: Callable[[dict[str, Any]], list[str]]
    roles_of: Callable[[dict[str, Any]], list[str]]

    @property
    def backend(self) -> AgentBackend:
        return self.make_backend()

    def success(self, content: str, *, tokens_in: int = 100, tokens_out: int = 50) -> ScriptedReply:
        if isinstance(self.server, FakeOpenAIServer):
            return self.server.success(
                content, prompt_tokens=tokens_in, completion_tokens=tokens_out
            )
        assert isinstance(self.server, FakeAnthropicServer)
        return self.server.success(content, input_tokens=tokens_in, output_tokens=tokens_out)

    def error(self, status: int, *, headers: dict[str, str] | None = None) -> ScriptedReply:
        assert isinstance(self.server, FakeOpenAIServer | FakeAnthropicServer)
        return self.server.error(status, f"scripted {status}", headers=headers)

    def sent(self, index: int = -1) -> dict[str, Any]:
        request: RecordedRequest = self.server.requests[index]
        body: dict[str, Any] = request.json()
        return body


def _openai_harness(server: FakeOpenAIServer) -> Harness:
    def make(**options: Any) -> AgentBackend:
        options = {
            "base_url": server.base_url,
            "model": "gpt-4o-mini",
            "timeout": TIMEOUT,
        } | options
        return create_openai_backend(**options)

    return Harness(
        provider="openai",
        server=server,
        make_backend=make,
        system_of=lambda body: "\n".join(
            m["content"] for m in body["messages"] if m["role"] == "system"
        ),
        user_texts_of=lambda body: [m["content"] for m in body["messages"] if m["role"] == "user"],
        roles_of=lambda body: [m["role"] for m in body["messages"]],
    )


def _anthropic_harness(server: FakeAnthropicServer) -> Harness:
    def make(**options: Any) -> AgentBackend:
        options = {
            "base_url": server.base_url,
            "model": "claude-test-model",
            "timeout": TIMEOUT,
        } | options
        return create_anthropic_backend(**options)

    return Harness(
        provider="anthropic",
        server=server,
        make_backend=make,
        system_of=lambda body: text_of(body.get("system", "")),
        user_texts_of=lambda body: [
            text_of(m["content"]) for m in body["messages"] if m["role"] == "user"
        ],
        roles_of=lambda body: ["system", *(m["role"] for m in body["messages"])],
    )


@pytest.fixture(params=["openai", "anthropic"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "openai":
        with FakeOpenAIServer() as openai_server:
            yield _openai_harness(openai_server)
    else:
        with FakeAnthropicServer() as anthropic_server:
            yield _anthropic_harness(anthropic_server)


@pytest.fixture
def openai_harness() -> Iterator[Harness]:
    with FakeOpenAIServer() as server:
        yield _openai_harness(server)


@pytest.fixture
def anthropic_harness() -> Iterator[Harness]:
    with FakeAnthropicServer() as server:
        yield _anthropic_harness(server)


def mtor_case(
    statement: str = "Restoring autophagy through MTOR inhibition rescues APOE4.",
) -> Case:
    return Case(
        hypothesis_id="h-51e7234f",
        title="APOE-Dependent Autophagy Restoration",
        statement=statement,
        diseases=("Alzheimer disease",),
        evidence=(
            Evidence(
                citation="PMID:31023831",
                claim="APOE4 astrocytes show impaired autophagic flux.",
                direction="supports",
                study_type="cell-model",
            ),
        ),
    )


def turn_request(
    case: Case | None = None, *, system: str = "You are the Skeptic.", user: str = "Score it."
) -> BackendRequest[TurnOutput]:
    """A minimal turn request; tests that care about prompts build their own messages."""
    return BackendRequest(
        messages=(Message("system", system), Message("user", user)),
        output_schema=TurnOutput,
        context=RequestContext(task="turn", case=case or mtor_case(), persona="skeptic", round=1),
    )
