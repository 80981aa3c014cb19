"""Model replies the fakes hand out by default: valid JSON for each output schema."""

from __future__ import annotations

import json
from typing import Any

VALID_TURN: dict[str, Any] = {
    "argument": "Autophagy markers recover when APOE4 is corrected in astrocytes.",
    "claims": [{"text": "APOE4 impairs autophagic flux in astrocytes.", "citations": []}],
    "scores": {"mechanistic_plausibility": 0.7, "evidence_strength": 0.55},
    "confidence": 0.6,
    "probability": 0.42,
    "verdict": "uncertain",
}

VALID_JUDGE: dict[str, Any] = {
    "winner": "first",
    "rationale": "The first hypothesis rests on replicated human evidence.",
}

VALID_TURN_JSON = json.dumps(VALID_TURN)
VALID_JUDGE_JSON = json.dumps(VALID_JUDGE)
