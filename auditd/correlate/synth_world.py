"""The synthetic world's pieces: services and their graph, changes, rollouts.

See :mod:`auditd.correlate.synth` for what the generator assumes; this module
holds the building blocks (the graph, the change maker) so that both stay small.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from auditd.correlate.candidates import Candidate
from auditd.correlate.synth_telemetry import Effect, SynthTelemetry
from auditd.correlate.topology import ServiceModel, ServiceSpec
from auditd.model import Incident

__all__ = ["Builder", "Case", "Fault", "SynthConfig", "World", "make_world", "pick"]

_NAMES = ("web", "mobile-api", "partner-api", "admin", "checkout", "cart", "search", "catalog",
          "accounts", "orders", "pricing", "reviews", "payments", "inventory", "shipping",
          "ledger", "fraud", "notify", "auth", "session", "recommend", "media", "tax",
          "loyalty", "orders-db", "payments-db", "cache", "queue", "blob-store", "search-index",
          "ledger-db", "accounts-db", "geo", "currency", "quota", "audit")
_KINDS = (("deploy", 0.55), ("config", 0.15), ("feature-flag", 0.12), ("terraform-apply", 0.10),
          ("migration", 0.08))
_WORDS = ("pool", "timeout", "retry", "schema", "index", "tls", "dns", "queue", "quota",
          "serializer", "cache", "batch", "limit", "worker", "thread", "heap", "codec")
T_BASE = datetime(2026, 1, 5, tzinfo=UTC)
# P(unreviewed), P(emergency), P(out of band) of causal and of benign changes
RISK_CAUSAL: tuple[float, float, float] = (0.2, 0.06, 0.1)
RISK_BENIGN: tuple[float, float, float] = (0.08, 0.02, 0.05)


@dataclass(frozen=True, slots=True)
class SynthConfig:
    services: int = 30
    incidents: int = 400
    changes_per_hour: float = 20.0
    p_causal: float = 0.5
    p_telemetry: float = 0.85
    model_dropout: float = 0.0
    instances: int = 4
    # versions numbered in time order, later deploys keep a deploy's fault (False: first generator)
    time_ordered_versions: bool = True


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled incident: ``cause`` is the causal change's ref, or None."""

    name: str
    incident: Incident
    candidates: tuple[Candidate, ...]
    model: ServiceModel
    telemetry: SynthTelemetry | None
    alert_text: tuple[str, ...]
    cause: str | None
    scenario: str
    # hidden truth for the oracle ceiling (synth_oracle): where and when the fault began
    fault: Fault | None = None


@dataclass(frozen=True, slots=True)
class Fault:
    """The causal change's fault: the service it began on and the moment it began."""

    service: str
    start: datetime


@dataclass(slots=True)
class World:
    """``truth`` is the real call graph; ``model`` what the ranker is told (edges may drop)."""

    layers: list[list[str]]
    truth: ServiceModel
    model: ServiceModel
    versions: dict[str, int] = field(default_factory=dict)


def make_world(config: SynthConfig, rng: random.Random) -> World:
    names = list(_NAMES[: config.services])
    cuts = [0, len(names) * 2 // 15, len(names) * 6 // 15, len(names) * 11 // 15, len(names)]
    layers = [names[cuts[i]: cuts[i + 1]] for i in range(4)]
    calls: dict[str, list[str]] = {n: [] for n in names}
    for depth, layer in enumerate(layers[:-1]):
        lower = [s for deeper in layers[depth + 1:] for s in deeper]
        near = layers[depth + 1]
        for service in layer:
            count = rng.randint(1, 3)
            picks = {rng.choice(near if rng.random() < 0.7 else lower) for _ in range(count)}
            calls[service] = sorted(picks)
    specs = [ServiceSpec(n, tuple(c for c in calls[n] if rng.random() >= config.model_dropout),
                         addresses=(f"module.{n}.*",), images=(f"registry.example/{n}",))
             for n in names]
    truth = ServiceModel(ServiceSpec(n, tuple(calls[n])) for n in names)
    return World(layers, truth, ServiceModel(specs), {n: rng.randint(3, 40) for n in names})


class Builder:
    """Collects one case's changes and telemetry effects."""

    def __init__(self, world: World, rng: random.Random, onset: datetime, prefix: str) -> None:
        self.world, self.rng, self.onset, self.prefix = world, rng, onset, prefix
        self.changes: list[Candidate] = []
        self.effects: list[Effect] = []
        self.deploys: list[Candidate] = []
        self._service_of: dict[str, str] = {}  # deploy ref → the service it deploys

    def change(self, service: str, start: datetime, *, causal: bool = False,
               kind: str | None = None) -> Candidate:
        rng = self.rng
        kind = kind or pick(rng, _KINDS)
        n = len(self.changes)
        word = rng.choice(_WORDS)
        risky = RISK_CAUSAL if causal else RISK_BENIGN
        services, resources = _placement(rng, service, kind)
        candidate = Candidate(
            ref=f"synth:{self.prefix}-{n}", kind=kind, summary=f"{kind} {service}: {word}",
            started_at=start, source="synth", reviewed=rng.random() >= risky[0],
            emergency=rng.random() < risky[1], out_of_band=rng.random() < risky[2],
            size=1 + int(rng.expovariate(0.3)), stateful=kind == "migration",
            services=services, resources=resources)
        if kind == "deploy":
            candidate = self._rollout(candidate, service)
        elif rng.random() < 0.9:
            candidate = _finished(candidate, start + timedelta(seconds=rng.uniform(5, 120)))
        self.changes.append(candidate)
        return candidate

    def _rollout(self, candidate: Candidate, service: str) -> Candidate:
        rng = self.rng
        version = self.world.versions[service] = self.world.versions.get(service, 1) + 1
        minutes = rng.uniform(4, 40)
        stuck = rng.random() < 0.2
        done = candidate.started_at + timedelta(minutes=minutes)
        rolled = _rolled(candidate, f"v{version}", f"v{version - 1}", None if stuck else done,
                         0.25 if stuck else 1.0)
        self.deploys.append(rolled)
        self._service_of[rolled.ref] = service
        return rolled

    def renumber(self) -> None:
        """Number each service's deploys in time order: a later deploy has the higher version.

        Changes are made background first, then the cause and the confounders, so
        the numbers handed out while building do not follow time.
        """
        by_service: dict[str, list[Candidate]] = {}
        for deploy in self.deploys:
            by_service.setdefault(self._service_of[deploy.ref], []).append(deploy)
        versions: dict[str, str] = {}  # ref → new version
        renamed: dict[tuple[str, str], str] = {}  # (service, old version) → new version
        for service, deploys in by_service.items():
            numbers = sorted(int((d.version or "v0")[1:]) for d in deploys)
            for deploy, number in zip(sorted(deploys, key=lambda d: d.started_at), numbers,
                                      strict=True):
                versions[deploy.ref] = f"v{number}"
                renamed[(service, deploy.version or "")] = f"v{number}"
        self.changes = [_renumbered(c, versions) for c in self.changes]
        self.deploys = [_renumbered(d, versions) for d in self.deploys]
        self.effects = [replace(e, version=renamed[(e.service, e.version)]) if e.version
                        else e for e in self.effects]


def pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for name, weight in table:
        total += weight
        if roll < total:
            return name
    return table[-1][0]


def _placement(rng: random.Random, service: str, kind: str) -> tuple[tuple[str, ...],
                                                                    tuple[str, ...]]:
    """(services, resources): 15 % of changes name their service only through a resource."""
    resource = f"module.{service}.aws_ecs_service.this" if kind == "deploy" \
        else f"module.{service}.aws_db_instance.main" if kind == "migration" \
        else f"module.{service}.aws_ssm_parameter.config"
    return ((), (resource,)) if rng.random() < 0.15 else ((service,), (resource,))


def _renumbered(candidate: Candidate, versions: dict[str, str]) -> Candidate:
    version = versions.get(candidate.ref)
    if version is None:
        return candidate
    return replace(candidate, version=version, previous_version=f"v{int(version[1:]) - 1}")


def _finished(candidate: Candidate, at: datetime) -> Candidate:
    return replace(candidate, finished_at=at)


def _rolled(candidate: Candidate, version: str, previous: str, finished: datetime | None,
            rollout: float) -> Candidate:
    return replace(candidate, version=version, previous_version=previous, finished_at=finished,
                   rollout=rollout)
