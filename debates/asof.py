"""A case as it stood on a date: what an as-of debate may see, and nothing later.

An item of evidence is kept only if it was certainly published before the as-of date: one dated
to a year counts from that year's last day, one dated to a month from that month's last day,
and an undated one is left out, since nothing shows it was known. The publication that resolved
the hypothesis is left out whatever its date, and so is the resolution itself, which a debate
never sees. A drug is shown only if one of its status changes is dated certainly before the
as-of date, by the same rule: nothing else shows that it existed then, and a gene's drug list
is today's (an SOD1 case as of 2007 would read tofersen, first approved in 2023). A shown
drug's approval status is the latest of those changes: today's status is often the outcome
itself (approved on the trial that settled the hypothesis, discontinued after it failed). An
item shows as replicated only if its replication is dated certainly before the as-of date, as
not replicated if dated certainly after, and as not reported when undated or dated too
coarsely to tell: today's flag may rest on a study that came later. A drug reads as reaching
the brain only if that was published certainly before the as-of date (and as unknown
otherwise). A gene's link to a disease is kept only if its first publication is dated
certainly before the as-of date: a gene's disease list is today's, and a link may have been
found after it. A gene's knowledge-graph edge count is left out: it counts what the graph held
when the gene's page was imported, which grows with what was learnt since.
Pure: the same case and date always give the same blind case. Whenever what a blind case shows
changes, ``common.as_of_rule.AS_OF_RULE_VERSION`` goes up, so that forecasts debated under the
older rule stop grading personas.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date

from common.dates import PartialDate
from debates.case import Case, DrugFact, Evidence, GeneFacts

# The rule in one line, as reports state it.
RULE = (
    "evidence certainly published before the as-of date (a year or month counts from its last "
    "day); undated evidence and the resolving publication left out; a drug only if a status "
    "of it is dated by then, with the latest such status; an item replicated only if dated so "
    "by then, not reported if undated; a drug's reaching the brain and a gene's disease links "
    "only if dated by then; no knowledge-graph edge counts (they are today's)"
)


def published(item: Evidence) -> PartialDate | None:
    """When ``item`` was published, as precisely as it is known; None if undated."""
    if item.year is None:
        return None
    return PartialDate(item.year, item.month, item.day if item.month is not None else None)


def known_on(item: Evidence, as_of: date) -> bool:
    """Whether ``item`` was certainly published before ``as_of``."""
    when = published(item)
    return when is not None and when.known_before(as_of)


def case_as_of(case: Case, as_of: date) -> Case:
    """``case`` cut back to what was published before ``as_of``, without its resolution."""
    kept = tuple(
        replication_as_of(item, as_of)
        for item in case.evidence
        if known_on(item, as_of) and item.citation != case.resolving_citation
    )
    genes = tuple(gene_as_of(gene, as_of) for gene in case.genes)
    return dataclasses.replace(
        case, evidence=kept, genes=genes, resolved_on=None, resolving_citation=None, as_of=as_of
    )


def replication_as_of(item: Evidence, as_of: date) -> Evidence:
    """``item`` with its replication as known before ``as_of``: a replication dated certainly
    before stands, one dated certainly after reads "not replicated", and an undated one, or one
    whose date spans ``as_of``, reads "not reported" (None)."""
    if item.replicated is not True:
        return item  # "not replicated" today was so then; "not reported" stays so
    since = item.replicated_since
    if since is not None and since.known_before(as_of):
        return item
    then = False if since is not None and since.earliest >= as_of else None
    return dataclasses.replace(item, replicated=then, replicated_since=None)


def gene_as_of(gene: GeneFacts, as_of: date) -> GeneFacts:
    """``gene`` with only the drugs and disease links dated certainly before ``as_of`` (the
    drugs as they then stood), and no knowledge-graph edge count."""
    known = tuple((name, since) for name, since in gene.linked_since if since.known_before(as_of))
    names = {name for name, _ in known}
    return dataclasses.replace(
        gene,
        drugs=tuple(drug_as_of(drug, as_of) for drug in gene.drugs if drug_known_on(drug, as_of)),
        diseases=tuple(name for name in gene.diseases if name in names),
        linked_since=known,
        kg_edges=None,
    )


def drug_known_on(drug: DrugFact, as_of: date) -> bool:
    """Whether a status change of ``drug`` is dated certainly before ``as_of``: all that shows
    the drug existed then (an undated drug is not known to have)."""
    return any(change.since.known_before(as_of) for change in drug.status_history)


def drug_as_of(drug: DrugFact, as_of: date) -> DrugFact:
    """``drug`` with only the status changes certainly in effect before ``as_of``, the latest
    of them as its status: None if none is (an undated status is not known to have held); and
    known to reach the brain only if that was published certainly before ``as_of``."""
    known = tuple(change for change in drug.status_history if change.since.known_before(as_of))
    status = known[-1].status if known else None
    shown = drug.brain_penetrant_since
    reaches = True if drug.brain_penetrant and shown and shown.known_before(as_of) else None
    return dataclasses.replace(
        drug,
        approval_status=status,
        status_history=known,
        brain_penetrant=reaches,
        brain_penetrant_since=shown if reaches else None,
    )


def debate_inputs(
    case: Case, believability: Mapping[str, float], as_of: date | None
) -> tuple[Case, dict[str, float]]:
    """What a debate sees and weighs: as of ``as_of`` (None: now), the case cut back and every
    persona at the prior believability, which is learned from outcomes that may postdate it."""
    if as_of is None:
        return case, dict(believability)
    return case_as_of(case, as_of), {}
