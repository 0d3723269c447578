"""The probability model: a softmax over the candidates and a "no change" option.

Each candidate ``i`` scores ``s_i = Σ_k w_k · x_ik`` over :data:`FEATURES`; the
"no change caused it" option scores ``s_0 = b + c · log(1 + n) + Σ_m d_m · z_m``
with ``n`` candidates in the window and ``z`` the incident's own evidence for
"no change" (:data:`~auditd.correlate.across.NULL_VALUES`: no telemetry, no
degradation seen, a degradation whose origin service had no change).
``P(i) = exp(s_i) / (exp(s_0) + Σ_j exp(s_j))`` —
a conditional logit whose weights are fitted by maximum likelihood
(:mod:`auditd.correlate.fit`) on labelled incidents, so the probabilities are
calibrated on data like the training data.  The weights live in
``weights.json`` next to this module; ``bench/correlation_eval.py --fit``
writes it, with the verdict margin: the log-odds the top suspect needs over
"no change" before the verdict names it, chosen on the training incidents for
a target false-blame rate.  Reading that packaged file is this package's only I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from auditd.correlate.across import NULL_VALUES
from auditd.correlate.features import FEATURES

__all__ = ["NULL_FEATURES", "Weights", "blames", "default_weights", "softmax_with_null"]

NULL_FEATURES: tuple[str, ...] = ("null_bias", "null_log_n", *NULL_VALUES)
WEIGHTS_FILE = "weights.json"


@dataclass(frozen=True, slots=True)
class Weights:
    """Feature weights plus the "no change" option's bias; ``meta`` says how they were fitted."""

    coef: Mapping[str, float]
    null_bias: float
    null_log_n: float
    meta: Mapping[str, Any] = field(default_factory=dict)
    null_coef: Mapping[str, float] = field(default_factory=dict)  # over NULL_VALUES
    # log-odds the top suspect needs over "no change" for the verdict to name it
    verdict_margin: float = 0.0

    def score(self, values: Mapping[str, float]) -> float:
        coef = self.coef
        return sum(coef.get(name, 0.0) * value for name, value in values.items())

    def null_score(self, candidates: int, values: Mapping[str, float] | None = None) -> float:
        evidence = sum(self.null_coef.get(n, 0.0) * v for n, v in (values or {}).items())
        return self.null_bias + self.null_log_n * math.log1p(candidates) + evidence

    def to_dict(self) -> dict[str, Any]:
        return {"format": "driftaudit.correlate.weights/v1", "features": list(FEATURES),
                "coef": {n: round(self.coef.get(n, 0.0), 6) for n in FEATURES},
                "null": {"bias": round(self.null_bias, 6), "log_n": round(self.null_log_n, 6),
                         **{n.removeprefix("null_"): round(self.null_coef.get(n, 0.0), 6)
                            for n in NULL_VALUES}},
                "verdict": {"margin": round(self.verdict_margin, 6)},
                "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Weights:
        """Unknown feature names are an error: they mean code and weights disagree."""
        coef = {str(k): float(v) for k, v in dict(data["coef"]).items()}
        unknown = set(coef) - set(FEATURES)
        if unknown:
            raise ValueError(f"weights name features this version does not compute: "
                             f"{sorted(unknown)}; refit with bench/correlation_eval.py --fit")
        null = dict(data["null"])
        null_coef = {f"null_{k}": float(v) for k, v in null.items() if k not in ("bias", "log_n")}
        unknown = set(null_coef) - set(NULL_VALUES)
        if unknown:
            raise ValueError(f"weights name null features this version does not compute: "
                             f"{sorted(unknown)}; refit with bench/correlation_eval.py --fit")
        margin = float(dict(data.get("verdict", {})).get("margin", 0.0))
        return cls(coef=coef, null_bias=float(null["bias"]), null_log_n=float(null["log_n"]),
                   meta=dict(data.get("meta", {})), null_coef=null_coef, verdict_margin=margin)


@cache
def default_weights() -> Weights:
    """The packaged, fitted weights (``auditd/correlate/weights.json``)."""
    text = resources.files("auditd.correlate").joinpath(WEIGHTS_FILE).read_text("utf-8")
    return Weights.from_dict(json.loads(text))


def softmax_with_null(scores: Sequence[float], null_score: float) -> tuple[list[float], float]:
    """Probabilities of each candidate and of "no change", summing to one."""
    top = max([null_score, *scores])
    exps = [math.exp(s - top) for s in scores]
    null = math.exp(null_score - top)
    total = null + sum(exps)
    return [e / total for e in exps], null / total


def blames(p_top: float, p_no_change: float, margin: float = 0.0) -> bool:
    """The verdict names a change: its log-odds against "no change" reach ``margin``."""
    return p_top > 0 and (p_no_change <= 0 or math.log(p_top / p_no_change) >= margin)
