"""Fitting the ranker's weights: maximum likelihood for a conditional logit with a null option.

Each training example is one incident: the feature rows of its candidates and
which one caused it (or None: no change did).  The log-likelihood of the
softmax in :mod:`auditd.correlate.scoring` is concave, so damped Newton steps
with an L2 penalty (``l2``, on all weights but the null bias) reach the unique
optimum in a few iterations; the result does not depend on a random start.
Pure: no I/O, standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditd.correlate.across import NULL_VALUES
from auditd.correlate.features import FEATURES
from auditd.correlate.scoring import NULL_FEATURES, Weights

__all__ = ["Example", "fit_weights"]

PARAMS: tuple[str, ...] = FEATURES + NULL_FEATURES
_INDEX = {name: i for i, name in enumerate(PARAMS)}
_NULL_BIAS = _INDEX["null_bias"]
Sparse = list[tuple[int, float]]


@dataclass(frozen=True, slots=True)
class Example:
    rows: Sequence[Mapping[str, float]]
    label: int | None  # index into rows; None: no change caused the incident
    null: Mapping[str, float] = field(default_factory=dict)  # the "no change" option's values


def fit_weights(examples: Sequence[Example], *, l2: float = 1.0, iterations: int = 40,
                meta: Mapping[str, Any] | None = None) -> Weights:
    """The maximum-penalised-likelihood weights for ``examples``."""
    data = [_options(e) for e in examples]
    w = [0.0] * len(PARAMS)
    current = _objective(data, w, l2)
    for _ in range(iterations):
        grad, hess = _derivatives(data, w, l2)
        step = _solve(hess, grad)
        scale, improved = 1.0, False
        while scale > 1e-4:
            trial = [wi + scale * si for wi, si in zip(w, step, strict=True)]
            value = _objective(data, trial, l2)
            if value >= current - 1e-12:
                improved = value - current > 1e-7
                w, current = trial, value
                break
            scale /= 2
        if not improved:
            break
    coef = {name: w[_INDEX[name]] for name in FEATURES}
    return Weights(coef=coef, null_bias=w[_NULL_BIAS], null_log_n=w[_INDEX["null_log_n"]],
                   meta={**(meta or {}), "examples": len(examples), "l2": l2,
                         "log_likelihood": round(current, 3)},
                   null_coef={name: w[_INDEX[name]] for name in NULL_VALUES})


def _options(example: Example) -> tuple[list[Sparse], int]:
    rows = [[(_INDEX[k], v) for k, v in row.items() if v] for row in example.rows]
    null = [(_NULL_BIAS, 1.0), (_INDEX["null_log_n"], math.log1p(len(rows))),
            *((_INDEX[k], v) for k, v in example.null.items() if v)]
    label = 0 if example.label is None else example.label + 1
    return [null, *rows], label


def _probabilities(options: list[Sparse], w: list[float]) -> tuple[list[float], float]:
    scores = [sum(w[i] * v for i, v in x) for x in options]
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps], top + math.log(total) - 0.0


def _objective(data: list[tuple[list[Sparse], int]], w: list[float], l2: float) -> float:
    value = -0.5 * l2 * sum(x * x for i, x in enumerate(w) if i != _NULL_BIAS)
    for options, label in data:
        scores = [sum(w[i] * v for i, v in x) for x in options]
        top = max(scores)
        value += scores[label] - top - math.log(sum(math.exp(s - top) for s in scores))
    return value


def _derivatives(data: list[tuple[list[Sparse], int]], w: list[float],
                 l2: float) -> tuple[list[float], list[list[float]]]:
    d = len(w)
    grad = [-l2 * x if i != _NULL_BIAS else 0.0 for i, x in enumerate(w)]
    hess = [[(l2 if i == j and i != _NULL_BIAS else 0.0) + (1e-6 if i == j else 0.0)
             for j in range(d)] for i in range(d)]
    for options, label in data:
        probs, _ = _probabilities(options, w)
        mean = [0.0] * d
        for p, x in zip(probs, options, strict=True):
            for i, v in x:
                mean[i] += p * v
            if p > 1e-9:
                for i, vi in x:
                    row = hess[i]
                    for j, vj in x:
                        row[j] += p * vi * vj
        for i, v in options[label]:
            grad[i] += v
        nonzero = [(i, m) for i, m in enumerate(mean) if m]
        for i, mi in nonzero:
            grad[i] -= mi
            row = hess[i]
            for j, mj in nonzero:
                row[j] -= mi * mj
    return grad, hess


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the matrix is small and positive definite)."""
    n = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            if factor:
                a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        if abs(a[r][r]) >= 1e-12:
            out[r] = (a[r][n] - sum(a[r][c] * out[c] for c in range(r + 1, n))) / a[r][r]
    return out
