"""Server-rendered pages (Jinja2, autoescaped, no JavaScript): genes, hypotheses, leaderboard."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path as FilePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from api.backtests import latest_judge_text
from api.charts import DimensionBar, HistoryPoint, Resolution, dimension_bars, history_chart
from api.deps import HypothesisIdPath, OffsetQuery, SessionDep, SymbolPath
from api.diseases import shown_diseases
from api.evaluation_schemas import evaluation_out, turn_outs
from api.front_page import load_front_page
from api.leaderboard import (
    TOURNAMENT_LEGEND,
    leaderboard_line,
    sections,
    standing_text,
    strength_bars,
    summary_text,
)
from api.legends import computed, explain, legend
from api.loaders import HypothesisView, load_gene, load_hypothesis
from api.prose import transcript_html
from api.schemas import settled_on
from api.strength_chart import strength_chart
from api.track_record import track_record_text
from common.numbers import usd
from common.text import ago, neutralise
from scoring.dimensions import DEFAULT_WEIGHTS
from storage.errors import NotFoundError
from storage.models import TERMINAL_STATES, Evaluation, Hypothesis, ScoreSnapshot
from storage.queries.backtests import latest_grades
from storage.queries.evaluations import get_evaluation
from storage.queries.leaderboard import count_leaderboard, fit_summary, leaderboard
from storage.queries.snapshots import list_snapshots
from storage.queries.spending import hypothesis_spend_by_day
from storage.queries.turns import list_turns
from wiki.markup import url_segment

TEMPLATES_DIR = FilePath(__file__).resolve().parent.parent / "templates"
PAGE_SIZE = 100


def _neutralised(value: Any) -> Any:
    """Every text a template prints, with controls and bidirectional overrides replaced (the
    text policy's second line, for rows stored before it): a title must not reverse the id
    printed after it. Markup (the charts) is built, neutralised and escaped where drawn."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return neutralise(value)
    return value


# Autoescaping is on for every template (not only *.html): nothing typed by a user or imported
# from a wiki reaches a page unescaped; charts are the one Markup input, built by api.charts
# and api.strength_chart.
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    finalize=_neutralised,
)
# Links to genes and hypotheses are built from path segments encoded here: ``url_for`` refuses
# (with a 500) a value holding "/", and a link must never depend on what an identifier holds.
_environment.filters["segment"] = url_segment
# The one place the views get a number's meaning, its formatting and the display helpers.
_environment.globals.update(
    legend=legend, explain=explain, computed=computed, shown_diseases=shown_diseases, ago=ago
)
_environment.filters["transcript"] = transcript_html
_environment.filters["usd"] = usd
templates = Jinja2Templates(env=_environment)


@pass_context
def _relative_url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
    # Links are paths, never absolute URLs built from the request's Host header: a page must
    # not carry links to whatever host a client (or a poisoned cache) named.
    # Text parameters are encoded as path segments first: Starlette refuses (with a 500) a value
    # holding "/", and a link must never depend on what an identifier holds.
    request: Request = context["request"]
    encoded = {k: url_segment(v) if isinstance(v, str) else v for k, v in path_params.items()}
    root = str(request.scope.get("root_path", ""))
    return root + str(request.app.url_path_for(name, **encoded))


_environment.globals["url_for"] = _relative_url_for

router = APIRouter(include_in_schema=False)

# Pages need no script at all; the policy makes an escaping slip inert rather than exploitable.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def render_page(
    request: Request,
    name: str,
    context: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, context, status_code=status, headers={**_PAGE_HEADERS, **(headers or {})}
    )


def error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """A failed view as a page: its status, what it means and the message (api.errors)."""
    phrase = HTTPStatus(status).phrase
    if message == phrase == "Not Found":  # the router's own 404: no view at this address
        message = "There is no page at this address."
    context = {"status": status, "phrase": phrase, "message": message}
    return render_page(request, "error.html", context, status=status, headers=headers)


def not_found_page(request: Request, exc: NotFoundError) -> HTMLResponse:
    return error_page(request, 404, str(exc))


@router.get("/", response_class=HTMLResponse, name="web_index")
def index(request: Request, session: SessionDep) -> HTMLResponse:
    """The front page: the top hypotheses, recent evaluations, genes with their best one."""
    return render_page(request, "index.html", {"front": load_front_page(session)})


@router.get("/web/genes/{symbol}", response_class=HTMLResponse, name="web_gene")
def gene_page(request: Request, session: SessionDep, symbol: SymbolPath) -> HTMLResponse:
    try:
        view = load_gene(session, symbol=symbol)
    except NotFoundError as exc:
        return not_found_page(request, exc)
    computed_at = {
        hypothesis_id: (scores.latest.created_at, scores.latest.version)
        for hypothesis_id, scores in view.scores.items()
    }
    return render_page(request, "gene.html", {"gene": view.out, "computed_at": computed_at})


def _history_points(snapshots: list[ScoreSnapshot]) -> list[HistoryPoint]:
    return [
        HistoryPoint(
            version=s.version,
            composite=s.composite,
            low=s.composite_low,
            high=s.composite_high,
            market_price=s.market_price,
            at=s.created_at,
            config_hash=s.config_hash,
            evaluation_id=s.evaluation_id,
        )
        for s in snapshots
    ]


def _resolution(hypothesis: Hypothesis) -> Resolution | None:
    on = settled_on(hypothesis)
    return None if on is None else Resolution(hypothesis.status, on)


def _dimension_rows(snapshot: ScoreSnapshot | None) -> list[DimensionBar]:
    if snapshot is None:
        return []
    rows = []
    # Heaviest-weighted dimensions first, the order the scoring documentation uses.
    for dimension in DEFAULT_WEIGHTS:
        entry = snapshot.dimensions.get(dimension.value)
        if isinstance(entry, dict) and isinstance(entry.get("mean"), int | float):
            rows.append(
                DimensionBar(
                    name=dimension.value,
                    mean=float(entry["mean"]),
                    low=_number(entry.get("low")),
                    high=_number(entry.get("high")),
                )
            )
    return rows


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _debate_behind_score(session: Session, view: HypothesisView) -> Evaluation | None:
    """The evaluation whose transcript the page shows: the debate behind the score it shows,
    not a newer evaluation that is still queued or failed, nor a blind (as-of) forecast, which
    would leave the number without its argument. Unscored, the newest evaluation."""
    scored_by = view.scores.latest.evaluation_id if view.scores else None
    if scored_by is None or (view.evaluation and view.evaluation.id == scored_by):
        return view.evaluation
    return get_evaluation(session, evaluation_id=scored_by)


def _scored_version(view: HypothesisView, debated: Evaluation | None) -> int | None:
    """The snapshot version the shown transcript's debate produced, if it is the shown one."""
    latest = view.scores.latest if view.scores else None
    if latest is None or debated is None or latest.evaluation_id != debated.id:
        return None
    return latest.version


@router.get("/web/hypotheses/{hypothesis_id}", response_class=HTMLResponse, name="web_hypothesis")
def hypothesis_page(
    request: Request, session: SessionDep, hypothesis_id: HypothesisIdPath
) -> HTMLResponse:
    try:
        view = load_hypothesis(session, hypothesis_id=hypothesis_id)
    except NotFoundError as exc:
        return not_found_page(request, exc)
    snapshots = list_snapshots(session, hypothesis_id=view.hypothesis.id)
    debated = _debate_behind_score(session, view)
    turns = list_turns(session, evaluation_id=debated.id) if debated else []
    context = {
        "h": view.detail,
        "badge": view.badge,
        "evaluation": evaluation_out(view.evaluation) if view.evaluation else None,
        # An ended evaluation is in no phase: the page counts what was debated instead.
        "evaluation_ended": view.evaluation is not None
        and view.evaluation.state in TERMINAL_STATES,
        "computed_at": view.scores.latest.created_at if view.scores else None,
        "turns": turn_outs(debated, turns) if debated else [],
        "debated": debated,
        "debated_version": _scored_version(view, debated),
        "spend": hypothesis_spend_by_day(session, hypothesis_id=view.hypothesis.id),
        "standing": standing_text(view.tournament),
        "track_record": [(r, track_record_text(r)) for r in view.detail.track_record],
        "tournament_legend": TOURNAMENT_LEGEND,
        "history_chart": Markup(  # noqa: S704 - api.charts escapes every label it draws
            history_chart(
                _history_points(snapshots),
                title=f"Score history of {view.hypothesis.id}",
                resolved=_resolution(view.hypothesis),
            )
        ),
        "dimension_chart": Markup(  # noqa: S704 - as above
            dimension_bars(_dimension_rows(view.scores.latest if view.scores else None))
        ),
    }
    return render_page(request, "hypothesis.html", context)


@router.get("/web/leaderboard", response_class=HTMLResponse, name="web_leaderboard")
def leaderboard_page(
    request: Request,
    session: SessionDep,
    offset: OffsetQuery = 0,
) -> HTMLResponse:
    rows = leaderboard(session, limit=PAGE_SIZE, offset=offset)
    summary = fit_summary(session)
    judge_record = latest_judge_text(latest_grades(session))
    more = offset + PAGE_SIZE < count_leaderboard(session)
    charts = {
        section: Markup(  # noqa: S704 - api.strength_chart escapes every label it draws
            strength_chart(bars, chart_id=f"strengths-{index}", group=section)
        )
        for index, (section, bars) in enumerate(strength_bars(rows).items())
    }
    context = {
        "sections": sections([leaderboard_line(row) for row in rows]),
        "charts": charts,
        "legend": TOURNAMENT_LEGEND,
        "summary": summary_text(summary),
        "summary_matches": summary.matches,
        "judge_record": judge_record,
        "next_offset": offset + PAGE_SIZE if more else None,
    }
    return render_page(request, "leaderboard.html", context)
