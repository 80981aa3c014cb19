"""The debate's voices: who argues, from which angle, and which dimensions each one scores.

A persona is plain data plus two Jinja2 templates: ``templates/personas/<key>.j2`` holds its
role and per-round task for model backends, and ``backends/evidence/templates/<key>.j2`` words
its arguments for the offline ``evidence`` backend, the default. New personas register here,
and registration refuses one whose templates are missing; the protocol, the panel picker and
the offline lenses only read the registry. docs/adding-a-persona.md walks through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scoring.dimensions import Dimension

D = Dimension

_HERE = Path(__file__).resolve().parent
PROMPT_TEMPLATES = _HERE / "templates"
OFFLINE_TEMPLATES = _HERE / "backends" / "evidence" / "templates"


@dataclass(frozen=True)
class Persona:
    """One debate voice.

    ``stage`` places the persona in the opening rounds: 1 states the claim, 2 attacks it,
    3 judges practicality (specialists speak here), 4 synthesizes. ``disease_terms`` and
    ``intervention_terms`` are lowercase fragments that make a specialist relevant to a case.
    """

    key: str
    title: str
    role: str
    dimensions: tuple[Dimension, ...]
    stage: int
    core: bool
    disease_terms: tuple[str, ...] = ()
    intervention_terms: tuple[str, ...] = ()
    template: str = field(default="")

    @property
    def template_name(self) -> str:
        """The prompt template for model backends, under ``debates/templates/``."""
        return self.template or f"personas/{self.key}.j2"

    @property
    def offline_template_name(self) -> str:
        """The offline backend's wording, under ``debates/backends/evidence/templates/``."""
        return f"{self.key}.j2"


_REGISTRY: dict[str, Persona] = {}

THEORIST = "theorist"
SKEPTIC = "skeptic"
DOMAIN_EXPERT = "domain_expert"
SYNTHESIZER = "synthesizer"
CORE_KEYS: tuple[str, ...] = (THEORIST, SKEPTIC, DOMAIN_EXPERT, SYNTHESIZER)


def register(persona: Persona) -> Persona:
    """Add ``persona`` to the registry; a second, different persona under one key is an error."""
    known = _REGISTRY.get(persona.key)
    if known is not None and known != persona:
        raise ValueError(f"persona {persona.key!r} is registered twice")
    if not persona.dimensions:
        raise ValueError(f"persona {persona.key!r} scores no dimension")
    for folder, name, used_by in (
        (PROMPT_TEMPLATES, persona.template_name, "the model backends' prompt"),
        (OFFLINE_TEMPLATES, persona.offline_template_name, "the offline evidence backend"),
    ):
        if not (folder / name).is_file():
            raise ValueError(
                f"persona {persona.key!r} has no template {folder / name} ({used_by}); "
                "see docs/adding-a-persona.md"
            )
    _REGISTRY[persona.key] = persona
    return persona


def get_persona(key: str) -> Persona:
    try:
        return _REGISTRY[key]
    except KeyError:
        raise ValueError(
            f"unknown persona {key!r}; known personas: {', '.join(_REGISTRY)}"
        ) from None


def all_personas() -> tuple[Persona, ...]:
    """Every registered persona, core ones first, in registration order."""
    return tuple(_REGISTRY.values())


def specialists() -> tuple[Persona, ...]:
    return tuple(p for p in _REGISTRY.values() if not p.core)


register(
    Persona(
        key=THEORIST,
        title="Theorist",
        role="states the hypothesis as a testable claim and builds its mechanistic case",
        dimensions=(D.MECHANISTIC_PLAUSIBILITY, D.NOVELTY, D.THERAPEUTIC_POTENTIAL),
        stage=1,
        core=True,
    )
)
register(
    Persona(
        key=SKEPTIC,
        title="Skeptic",
        role="attacks the assumptions with weak or contradicting evidence and boundary conditions",
        dimensions=(D.EVIDENCE_STRENGTH, D.REPRODUCIBILITY, D.DATA_AVAILABILITY),
        stage=2,
        core=True,
    )
)
register(
    Persona(
        key=DOMAIN_EXPERT,
        title="Domain Expert",
        role="judges feasibility, druggability, safety and the competitive landscape",
        dimensions=(
            D.FEASIBILITY,
            D.DRUGGABILITY,
            D.SAFETY_PROFILE,
            D.COMPETITIVE_LANDSCAPE,
        ),
        stage=3,
        core=True,
    )
)
register(
    Persona(
        key=SYNTHESIZER,
        title="Synthesizer",
        role="integrates the panel's arguments and gives the debate's scores",
        dimensions=tuple(Dimension),
        stage=4,
        core=True,
    )
)
register(
    Persona(
        key="epidemiologist",
        title="Epidemiologist",
        role="weighs population data: cohorts, risk factors, effect sizes and confounding",
        dimensions=(D.EVIDENCE_STRENGTH, D.DATA_AVAILABILITY, D.REPRODUCIBILITY),
        stage=3,
        core=False,
        disease_terms=(
            "alzheimer",
            "dementia",
            "parkinson",
            "diabetes",
            "obesity",
            "cardiovascular",
            "stroke",
            "cancer",
            "aging",
        ),
        intervention_terms=("lifestyle", "diet", "prevention", "exercise", "repurpos"),
    )
)
register(
    Persona(
        key="computational_biologist",
        title="Computational Biologist",
        role="checks the data behind the claim: omics, networks, models and their reuse",
        dimensions=(D.DATA_AVAILABILITY, D.MECHANISTIC_PLAUSIBILITY, D.REPRODUCIBILITY),
        stage=3,
        core=False,
        intervention_terms=(
            "biomarker",
            "computational",
            "network",
            "omics",
            "genetic",
            "gene-therapy",
            "gene therapy",
            "rna",
        ),
    )
)
register(
    Persona(
        key="clinical_trialist",
        title="Clinical Trialist",
        role="judges how the hypothesis could be tested in patients and what trials already show",
        dimensions=(
            D.FEASIBILITY,
            D.SAFETY_PROFILE,
            D.EVIDENCE_STRENGTH,
            D.COMPETITIVE_LANDSCAPE,
        ),
        stage=3,
        core=False,
        intervention_terms=(
            "drug",
            "small-molecule",
            "small molecule",
            "repurpos",
            "antibody",
            "biologic",
            "vaccine",
            "immunotherapy",
            "pharmacolog",
        ),
    )
)
register(
    Persona(
        key="ethicist",
        title="Ethicist",
        role="weighs risks to patients, consent, vulnerable groups and irreversible interventions",
        dimensions=(D.SAFETY_PROFILE, D.FEASIBILITY),
        stage=3,
        core=False,
        disease_terms=("pediatric", "child", "infant", "prion", "huntington", "fatal"),
        intervention_terms=(
            "gene-editing",
            "gene editing",
            "crispr",
            "germline",
            "gene-therapy",
            "gene therapy",
            "cell-therapy",
            "cell therapy",
            "stem cell",
        ),
    )
)
register(
    Persona(
        key="medicinal_chemist",
        title="Medicinal Chemist",
        role="judges the chemistry: tractability, selectivity, exposure and brain penetrance",
        dimensions=(D.DRUGGABILITY, D.SAFETY_PROFILE, D.FEASIBILITY, D.NOVELTY),
        stage=3,
        core=False,
        intervention_terms=(
            "small-molecule",
            "small molecule",
            "drug",
            "inhibitor",
            "agonist",
            "antagonist",
            "compound",
            "repurpos",
            "pharmacolog",
        ),
    )
)
