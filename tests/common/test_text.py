"""Text helpers: titles are cut at word boundaries (or hyphens), never mid-word; counts agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.text import ago, batch_wait, counted, pass_state, shorten_title


def test_a_short_title_is_kept_with_its_whitespace_collapsed() -> None:
    assert shorten_title("APOE-Dependent  Autophagy\nRestoration", 48) == (
        "APOE-Dependent Autophagy Restoration"
    )


@pytest.mark.parametrize(
    ("title", "limit", "expected"),
    [
        (
            "Lecanemab Slows Clinical Decline in Early Symptomatic Alzheimer's Disease",
            48,
            "Lecanemab Slows Clinical Decline in Early…",
        ),
        (
            "Gamma-Secretase Inhibition Slows Alzheimer's Disease Progression",
            40,
            "Gamma-Secretase Inhibition Slows…",
        ),
    ],
)
def test_a_long_title_is_cut_at_the_last_word_boundary(
    title: str, limit: int, expected: str
) -> None:
    shortened = shorten_title(title, limit)
    assert shortened == expected
    assert len(shortened) <= limit
    assert title.startswith(shortened.removesuffix("…"))


def test_every_cut_ends_on_a_whole_word() -> None:
    title = "Antisense Lowering of SOD1 Slows SOD1-Associated ALS Progression"
    for limit in range(12, len(title)):
        shortened = shorten_title(title, limit)
        kept = shortened.removesuffix("…")
        assert len(shortened) <= limit
        assert title[len(kept)] in " " or kept == title, (limit, shortened)


def test_a_hyphenated_word_is_cut_at_its_hyphen_before_inside_it() -> None:
    title = "APOE4 Dose-Dependently Raises Late-Onset Alzheimer's Disease Risk"
    # The last space falls in the first third of the room: cutting there would keep "APOE4".
    assert shorten_title(title, 22) == "APOE4 Dose…"
    assert shorten_title(title, 24) == "APOE4 Dose-Dependently…"
    assert shorten_title("Anti-Alpha-Synuclein Antibody", 18) == "Anti-Alpha…"


def test_one_word_longer_than_the_limit_is_cut_inside_it() -> None:
    assert shorten_title("Supercalifragilistic", 10) == "Supercali…"


@pytest.mark.parametrize(
    ("count", "noun", "plural", "said"),
    [
        (1, "turn", None, "1 turn"),
        (0, "turn", None, "0 turns"),
        (3, "match", "matches", "3 matches"),
        (1, "hypothesis", "hypotheses", "1 hypothesis"),
    ],
)
def test_counted_agrees_in_number(count: int, noun: str, plural: str | None, said: str) -> None:
    assert counted(count, noun, plural) == said


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (-3.0, "0 s ago"),  # a clock a little ahead of the database's
        (42.7, "42 s ago"),
        (119, "119 s ago"),
        (120, "2 min ago"),
        (2883, "48 min ago"),
        (7199, "119 min ago"),
        (7200, "2 h ago"),
        (47 * 3600 + 59, "47 h ago"),
        (48 * 3600, "2 days ago"),
        (86400 * 30, "30 days ago"),
    ],
)
def test_ago_reads_in_the_unit_a_glance_takes_in(seconds: float, said: str) -> None:
    assert ago(seconds) == said


def test_a_batch_evaluation_is_told_what_it_waits_for() -> None:
    now = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)

    def waited(seconds: float | None) -> str:
        last = None if seconds is None else now - timedelta(seconds=seconds)
        return batch_wait(last, now=now, poll_seconds=60)

    assert waited(None) == (
        "no provider-batch pass has run yet (only beat starts one): is `hyposcore beat` running?"
    )
    assert waited(42) == "beat's next provider-batch pass sends it (the last ran 42 s ago)"
    assert waited(180).startswith("beat's next")  # three polls: still on
    assert waited(181) == (
        "the last provider-batch pass ran 3 min ago: is `hyposcore beat` running?"
    )


def test_a_pass_says_whether_a_run_holds_it_and_since_when() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    started = now - timedelta(minutes=3, seconds=10)
    held = now + timedelta(minutes=27)
    assert (
        pass_state("tournament_round", last_ran_at=started, running_until=held, now=now)
        == "tournament round: running, started 3 min ago"
    )
    assert (
        pass_state("refit_ratings", last_ran_at=started, running_until=None, now=now)
        == "refit ratings: last ran 3 min ago"
    )
    lapsed = now - timedelta(seconds=1)  # its run died holding it
    assert (
        pass_state("tournament_round", last_ran_at=started, running_until=lapsed, now=now)
        == "tournament round: last ran 3 min ago"
    )


def test_a_pass_whose_last_run_refused_says_why_until_a_run_does_its_work() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    started = now - timedelta(minutes=3, seconds=10)
    why = "the refit of 31,200 hypotheses would need about 14.5 GB of memory"
    assert (
        pass_state("refit_ratings", last_ran_at=started, running_until=None, now=now, error=why)
        == f"refit ratings: last ran 3 min ago; it refused: {why}"
    )
    # a run that holds the pass now has not refused (yet)
    held = now + timedelta(minutes=27)
    assert pass_state(
        "refit_ratings", last_ran_at=started, running_until=held, now=now, error=why
    ).endswith("running, started 3 min ago")
