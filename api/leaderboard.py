"""The tournament leaderboard as a reader sees it: groups, legible numbers and the legend.

Strengths order hypotheses only inside one component of the comparison graph (a "group"), so
the page shows one table per group and the unrated last, each with its match count. Numbers
carry an explicit sign and a true minus (never "-0.00"), and intervals read "low to high".
"""

from __future__ import annotations

from dataclasses import dataclass

from api.strength_chart import StrengthBar
from api.tournament_fit import TournamentFit, tournament_fit
from common.numbers import signed, signed_interval
from common.text import counted
from scoring.bt_ratings import INTERVAL_LEVEL, MIN_DECIDED
from storage.models import HypothesisStatus
from storage.queries.leaderboard import FitSummary, LeaderboardRow

TOURNAMENT_LEGEND = (
    "Strength: Bradley–Terry log-strength from pairwise judge verdicts (one call per match, "
    "who is shown first decided by a seeded coin, the judge's lean towards the first-shown "
    "estimated and removed). 0 is the average rated hypothesis of its group; +1 beats it about "
    f"73% of the time. Interval: {INTERVAL_LEVEL:.0%} posterior interval. Strengths compare "
    "only within a group: hypotheses in different groups were never compared, directly or "
    "through others, so no order is claimed between groups. Unrated: fewer than "
    f"{MIN_DECIDED} decided (won or lost) matches, or nothing rated to compare with. "
    "Resolved (validated or refuted) hypotheses are not entered: pairing takes open ones only."
)
RESOLVED_SECTION = "Resolved, not entered"


@dataclass(frozen=True)
class LeaderboardLine:
    """One row of the leaderboard page or the demo's table."""

    section: str
    rank: str
    hypothesis_id: str
    title: str
    strength: str
    interval: str
    matches: int
    decided: int


def _entered(row: LeaderboardRow) -> bool:
    return row.rated or row.status == HypothesisStatus.OPEN


def section_of(row: LeaderboardRow) -> str:
    if not _entered(row):
        return RESOLVED_SECTION
    if not row.rated:
        return "Unrated"
    size = f" ({row.component_size} hypotheses compared)" if row.component_size else ""
    return f"Group {row.component or 1}{size}"


def leaderboard_line(row: LeaderboardRow) -> LeaderboardLine:
    return LeaderboardLine(
        section=section_of(row),
        # The reason a row has no rank is said once, in its strength cell.
        rank=str(row.rank) if row.rank is not None else "—",
        hypothesis_id=row.hypothesis_id,
        title=row.title,
        strength=_strength(row),
        interval=signed_interval(row.strength_low, row.strength_high),
        matches=row.matches,
        decided=row.decided,
    )


def _strength(row: LeaderboardRow) -> str:
    """The signed strength, or why there is none."""
    return signed(row.strength) if row.strength is not None else _unrated(row)


def _unrated(row: LeaderboardRow) -> str:
    if _entered(row):
        return "unrated"
    return f"{row.status}, {'not' if row.matches == 0 else 'no longer'} entered"


def tournament_cell(row: LeaderboardRow) -> str:
    """One cell for a table ordered by something else: strength, interval, group, matches."""
    return " · ".join(tournament_lines(row))


def tournament_lines(row: LeaderboardRow) -> tuple[str, str]:
    """The cell on two lines: the strength with its interval (or why there is none), then
    where it stands and on how many matches."""
    played = counted(row.matches, "match", "matches")
    if not row.rated:
        return _unrated(row), f"{played} ({row.decided} decided)"
    interval = signed_interval(row.strength_low, row.strength_high)
    return (
        f"{_strength(row)} ({interval})",
        f"group {row.component or 1}, #{row.rank} · {played}",
    )


def standing_text(row: LeaderboardRow) -> str:
    """A hypothesis's standing on its own page, such as "Strength −1.52 (80% interval −2.36 to
    −0.68) · #12 in group 1 (14 hypotheses compared) · 10 matches (10 decided)"."""
    played = f"{counted(row.matches, 'match', 'matches')} ({row.decided} decided)"
    if not row.rated:
        unrated = _unrated(row)
        return f"{unrated[:1].upper()}{unrated[1:]} · {played}"
    interval = signed_interval(row.strength_low, row.strength_high)
    return (
        f"Strength {_strength(row)} ({INTERVAL_LEVEL:.0%} interval {interval}) "
        f"· #{row.rank} in {section_of(row).lower()} · {played}"
    )


def sections(lines: list[LeaderboardLine]) -> list[tuple[str, list[LeaderboardLine]]]:
    """Consecutive lines of the same section, in the leaderboard's order."""
    grouped: list[tuple[str, list[LeaderboardLine]]] = []
    for line in lines:
        if not grouped or grouped[-1][0] != line.section:
            grouped.append((line.section, []))
        grouped[-1][1].append(line)
    return grouped


def strength_bars(rows: list[LeaderboardRow]) -> dict[str, list[StrengthBar]]:
    """The rated rows of each group's section, in the leaderboard's order, for its chart."""
    bars: dict[str, list[StrengthBar]] = {}
    for row in rows:
        if row.strength is None or row.rank is None:
            continue
        bars.setdefault(section_of(row), []).append(
            StrengthBar(
                row.rank,
                row.title,
                row.strength,
                row.strength_low,
                row.strength_high,
                row.hypothesis_id,
            )
        )
    return bars


def summary_text(summary: FitSummary) -> str:
    """A few sentences on the fit: how many rated, in how many groups, the judge's lean and
    how decisive its verdicts are (the numbers of ``GET /leaderboard/fit``)."""
    if summary.fitted_at is None:
        return f"No fit yet: all {summary.hypotheses} hypotheses are unrated."
    fit = tournament_fit(summary)
    matches = f"{summary.matches} matches judged. "
    groups = "one group" if summary.groups == 1 else f"{summary.groups} separate groups"
    bias = ""
    if fit.position_bias is not None:
        lean = fit.position_bias
        bias = f" The judge's fitted lean towards the first-shown: {signed(lean.value)}"
        if lean.low is not None and lean.high is not None:
            bias += f" ({INTERVAL_LEVEL:.0%}: {signed_interval(lean.low, lean.high)})"
        bias += "."
    count = summary.not_entered
    settled = f" {count} resolved hypothes{'is is' if count == 1 else 'es are'} not entered."
    settled = settled if count else ""
    return (
        f"{matches}{summary.rated} of {summary.hypotheses} hypotheses rated, in {groups}."
        f"{settled}{bias}{_spread_text(fit)}{_refused_text(summary)}"
    )


def _refused_text(summary: FitSummary) -> str:
    """Why the ratings shown are older than the matches, when the latest refit refused."""
    if summary.refit_refused is None or summary.fitted_at is None:
        return ""
    fitted = summary.fitted_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f" These ratings were fitted at {fitted}; the latest refit refused, and later matches"
        f" are not in them: {summary.refit_refused}."
    )


def _spread_text(fit: TournamentFit) -> str:
    """How far apart the fit found the strengths, as the judge accuracy that implies."""
    if fit.spread is None or fit.judge_accuracy is None:
        return ""
    spread, accuracy = fit.spread, fit.judge_accuracy
    shown, right = f"{spread.value:.2f}", f"{accuracy.value:.0%}"
    if spread.low is not None and spread.high is not None:
        shown += f" ({INTERVAL_LEVEL:.0%}: {spread.low:.2f}–{spread.high:.2f})"
    if accuracy.low is not None and accuracy.high is not None:
        right += f" ({accuracy.low:.0%}–{accuracy.high:.0%})"
    return (
        f" The matches put the spread of strengths at {shown}: the judge names the stronger of"
        f" two random hypotheses {right} of the time."
    )
