"""Correlation: which changes preceded an incident, most likely cause first, with evidence.

Pure (no I/O apart from reading the packaged ``weights.json``); telemetry
arrives through the injected :class:`SeriesSource` (see :mod:`auditd.telemetry`),
the service model through :class:`ServiceModel` (files: :mod:`auditd.servicemodel`).

The public API, for the CLI and the HTTP API::

    parse_change_events(text, source=...) -> ParsedEvents(events, problems)
    candidate_from_event(ChangeEvent) -> Candidate
    candidate_from_change(Change, services=(), tags=None) -> Candidate
    rank_suspects(incident, candidates, services, telemetry=None, *, window=6h,
                  weights=None, alert_text=()) -> SuspectReport
    SuspectReport.to_dict()  # the driftaudit.suspects/v1 JSON document

Modules: ``candidates`` (the ranker's view of a change), ``topology`` (the
service graph), ``window`` (candidates and exclusions), ``timeseries`` and
``evidence`` (telemetry statistics), ``features`` (facts → features),
``across`` (reasoning across candidates: explaining away along the graph, the
latest change before a service degraded, "no change" evidence), ``scoring``
(softmax with a "no change" option, weights), ``chips`` and ``hint``
(explanations), ``report`` (the JSON contract), ``ranker`` (the pipeline),
``events_in`` (change events in), ``fit``/``evaluate``/``misses``/``synth*`` (the
evaluation harness's pure parts; the driver is ``bench/correlation_eval.py``).
"""

from __future__ import annotations

from auditd.correlate.candidates import Candidate, candidate_from_change, candidate_from_event
from auditd.correlate.events_in import (
    CHANGE_EVENT_SCHEMA,
    EventFormatError,
    EventProblem,
    ParsedEvents,
    parse_change_event,
    parse_change_events,
)
from auditd.correlate.ranker import DEFAULT_WINDOW, rank_suspects
from auditd.correlate.report import (
    SCHEMA,
    Exclusion,
    Hint,
    Missing,
    Reason,
    Suspect,
    SuspectReport,
)
from auditd.correlate.scoring import Weights, default_weights
from auditd.correlate.timeseries import MemorySeries, Series, SeriesSource
from auditd.correlate.topology import ServiceModel, ServiceSpec

__all__ = [
    "CHANGE_EVENT_SCHEMA",
    "DEFAULT_WINDOW",
    "SCHEMA",
    "Candidate",
    "EventFormatError",
    "EventProblem",
    "Exclusion",
    "Hint",
    "MemorySeries",
    "Missing",
    "ParsedEvents",
    "Reason",
    "Series",
    "SeriesSource",
    "ServiceModel",
    "ServiceSpec",
    "Suspect",
    "SuspectReport",
    "Weights",
    "candidate_from_change",
    "candidate_from_event",
    "default_weights",
    "parse_change_event",
    "parse_change_events",
    "rank_suspects",
]
