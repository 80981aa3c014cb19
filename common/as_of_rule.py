"""The version of the as-of rule: what a blind debate may see (``debates.asof``).

A blind forecast grades the personas that made it only if its debate could not have seen the
answer, and what "could not have seen" means has been tightened: version 1 cut the evidence
back to its as-of date; version 2 (2026-12-07) also shows each drug's status as dated by then
and no knowledge-graph edge count; version 3 (2026-12-07) shows an item as replicated only if
its replication is dated by then; version 4 (2026-12-07) reads a gene's link to a disease only
if the link's first publication is dated by then; version 5 (2026-12-07) reads a drug as
reaching the brain only if that was first published by then; version 6 (2026-12-07) shows a
drug at all only if a status of it is dated by then. Every as-of evaluation records the
version its debate followed (``evaluations.as_of_rule_version``), so a forecast made under a
looser rule stays in the ledger but no longer moves a believability. (What a model may know
from its training data is recorded apart, per debate: ``evaluations.knowledge_cutoff``.) Bump
this whenever ``debates.asof`` shows a blind debate more or less than before.
"""

from __future__ import annotations

AS_OF_RULE_VERSION = 6
