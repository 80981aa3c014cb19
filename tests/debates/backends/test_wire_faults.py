"""Every way a reply can break on the wire is classified by the backend, for both providers.

The fakes misbehave the ways providers and proxies have been seen to (``FAULTS``): a 200 whose
JSON body is cut off mid-string, a connection reset mid-body, an HTML page where JSON belongs.
Each must reach the worker as a ``RetryableError`` naming the endpoint, never as a bare
exception the worker did not expect.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from debates.backends.base import RetryableError
from tests.debates.backends.conftest import Harness, turn_request
from tests.fakes.replies import VALID_TURN_JSON
from tests.fakes.scripted_server import FAULTS, Fault, ScriptedReply, with_faults


@pytest.mark.parametrize("fault", FAULTS)
def test_a_broken_reply_is_a_retryable_error_naming_the_endpoint(
    harness: Harness, fault: Fault
) -> None:
    harness.server.script(replace(harness.success(VALID_TURN_JSON), fault=fault))

    with pytest.raises(RetryableError) as caught:
        harness.backend.complete(turn_request())

    assert harness.server.url.removeprefix("http://") in str(caught.value)
    assert "did not answer within" not in str(caught.value)  # the fault, not a timeout
    assert len(harness.server.requests) == 1


@pytest.mark.parametrize("fault", FAULTS)
def test_the_next_good_reply_after_a_broken_one_goes_through(
    harness: Harness, fault: Fault
) -> None:
    harness.server.script(replace(harness.success(VALID_TURN_JSON), fault=fault))
    backend = harness.backend
    with pytest.raises(RetryableError):
        backend.complete(turn_request())

    result = backend.complete(turn_request())

    assert result.output.verdict is not None


def test_with_faults_strikes_each_fault_at_its_rate_and_replays_by_seed() -> None:
    def good(_: object) -> ScriptedReply:
        return ScriptedReply(body={"ok": True})

    def draw(seed: int) -> list[Fault | None]:
        answer = with_faults(good, rate=0.1, seed=seed)
        return [answer(None).fault for _ in range(3000)]  # type: ignore[arg-type]

    first = draw(7)
    assert first == draw(7)
    assert first != draw(8)
    for fault in FAULTS:
        assert 0.07 < first.count(fault) / len(first) < 0.13
    assert 0.63 < first.count(None) / len(first) < 0.77
    with pytest.raises(ValueError, match="exceeds 1"):
        with_faults(good, rate=0.4, seed=1)
