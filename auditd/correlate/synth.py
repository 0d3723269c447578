"""A documented synthetic world for fitting and scoring the ranker (seeded, reproducible).

One call of :func:`generate` makes a service graph and ``incidents`` cases.
Each case is an incident with its own 9-hour change timeline:

* **Services**: ``services`` names in four layers (edge → mid → back → data);
  each calls 1-3 services of lower layers.  The service model given to the
  ranker is the true graph, minus a fraction ``model_dropout`` of its edges.
* **Changes**: background changes arrive as a Poisson process
  (``changes_per_hour`` over all services, from 8 h before onset to 1 h after);
  kinds deploy 55 %, config 15 %, flag 12 %, infra 10 %, migration 8 %.  15 %
  name their service only through a resource address; 3 % are on services the
  model does not know.  Deploys roll out instance by instance over 4-40 min;
  20 % are canaries stuck at 25 %.
* **Causes**: a fraction ``p_causal`` of incidents have one causal change, on
  the incident's service (40 %) or on a callee 1-3 hops down.  It multiplies
  the error rate (log-normal, median x8, clipped to x2-x100) of the instances
  running its version (deploys) or of all instances (other kinds), from 0-2
  min after it starts, or 15-180 min after for 15 % "latent" causes.  Callers
  on the path degrade by ``1 + (factor - 1) · 0.7^hops``; the alert fires 1-6 min
  after the incident's service degrades.  Causal changes are somewhat riskier
  (unreviewed 20 % vs 8 %, emergency 6 % vs 2 %, out-of-band 10 % vs 5 %).
* **No-change incidents** degrade the incident's service (60 %) or a callee
  1-2 hops down (and the callers above it) at a random moment, all versions alike.
* **Confounders**: with p=0.7, 1-3 benign changes on random services in the
  10 min before onset; with p=0.4 a benign change on the incident's service
  or a callee 1-30 min before onset (so the cause is often not the most
  recent change); 30 % of causal alerts mention a word of the cause's summary,
  30 % of the others a random component word.
* **Telemetry** (:mod:`.synth_telemetry`): present for ``p_telemetry`` of the
  incidents; then each service lacks it with p=0.1.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from auditd.correlate.synth_telemetry import Effect, SynthTelemetry
from auditd.correlate.synth_world import (
    T_BASE,
    Builder,
    Case,
    Fault,
    SynthConfig,
    World,
    make_world,
)
from auditd.model import Incident

__all__ = ["Case", "SynthConfig", "generate"]

_UNKNOWN = ("legacy-batch", "data-pipeline")
LATENT_SHARE = 0.15  # of causes
LATENT_DELAY = (15.0, 180.0)  # minutes from a latent cause's start to its fault
PROMPT_DELAY = (0.0, 2.0)  # the same for the other causes
P_ALERT_WORD = 0.3  # an alert names a word of the cause's summary (or a random word)
_WORDS = ("pool", "timeout", "retry", "schema", "index", "tls", "dns", "queue", "quota")


def generate(config: SynthConfig, seed: int) -> list[Case]:
    """``config.incidents`` labelled cases; the same seed gives the same cases."""
    rng = random.Random(seed)
    world = make_world(config, rng)
    return [_case(config, world, rng, seed, n) for n in range(config.incidents)]


def _case(config: SynthConfig, world: World, rng: random.Random, seed: int, n: int) -> Case:
    onset = T_BASE + timedelta(days=n, minutes=rng.uniform(0, 1440))
    builder = Builder(world, rng, onset, f"{seed}-{n}")
    incident_service = _incident_service(world, rng)
    _background(builder, config, onset)
    fault: Fault | None = None
    if rng.random() < config.p_causal:
        cause_ref, scenario, fault = _cause(builder, incident_service)
    else:
        cause_ref, scenario = None, _no_change(builder, incident_service)
    _confounders(builder, incident_service, onset)
    if config.time_ordered_versions:
        builder.renumber()
    alert = [f"alertname=HighErrorRate service={incident_service}",
             f"error rate above threshold on {incident_service}"]
    if rng.random() < P_ALERT_WORD:
        summary = next((c.summary for c in builder.changes if c.ref == cause_ref), None)
        alert.append(summary.rsplit(" ", 1)[-1] if summary else rng.choice(_WORDS))
    incident = Incident(id=f"INC-{seed}-{n}", onset=onset, services=(incident_service,),
                        severity="high", title=f"High error rate on {incident_service}")
    return Case(f"synth-{seed}-{n}", incident, tuple(builder.changes), world.model,
                _telemetry(config, world, builder, rng), tuple(alert), cause_ref, scenario, fault)


def _incident_service(world: World, rng: random.Random) -> str:
    roll = rng.random()
    layer = 0 if roll < 0.5 else 1 if roll < 0.85 else 2
    return rng.choice(world.layers[layer])


def _background(builder: Builder, config: SynthConfig, onset: datetime) -> None:
    rng = builder.rng
    names = builder.world.truth.names
    moment = onset - timedelta(hours=8)
    while True:
        moment += timedelta(hours=rng.expovariate(config.changes_per_hour))
        if moment > onset + timedelta(hours=1):
            return
        service = rng.choice(_UNKNOWN) if rng.random() < 0.03 else rng.choice(names)
        builder.change(service, moment)


def _target(world: World, rng: random.Random, service: str, max_hops: int,
            p_self: float) -> tuple[str, int]:
    down = [(s, h) for s, h in world.truth.downstream(service).items() if 1 <= h <= max_hops]
    if rng.random() < p_self or not down:
        return service, 0
    hops = rng.choice(sorted({h for _, h in down}))
    return rng.choice(sorted(s for s, h in down if h == hops)), hops


def _cause(builder: Builder, incident_service: str) -> tuple[str, str, Fault]:
    rng, world = builder.rng, builder.world
    target, hops = _target(world, rng, incident_service, 3, 0.4)
    latent = rng.random() < LATENT_SHARE
    delay = rng.uniform(*LATENT_DELAY) if latent else rng.uniform(*PROMPT_DELAY)
    effect_start = builder.onset - timedelta(minutes=rng.uniform(1, 6) + hops * rng.uniform(0.2, 1))
    change = builder.change(target, effect_start - timedelta(minutes=delay), causal=True)
    factor = _factor(rng)
    version = change.version if change.version else None
    builder.effects.append(Effect(target, effect_start.timestamp(), factor, version))
    _propagate(builder, incident_service, target, effect_start, factor)
    scenario = "latent" if latent else "same-service" if hops == 0 else f"callee-{hops}"
    return change.ref, f"cause:{scenario}", Fault(target, effect_start)


def _no_change(builder: Builder, incident_service: str) -> str:
    rng = builder.rng
    origin, hops = _target(builder.world, rng, incident_service, 2, 0.6)
    start = builder.onset - timedelta(minutes=rng.uniform(1, 6) + hops * rng.uniform(0.2, 1))
    factor = _factor(rng)
    builder.effects.append(Effect(origin, start.timestamp(), factor))
    _propagate(builder, incident_service, origin, start, factor)
    return "no-change:self" if hops == 0 else "no-change:callee"


def _propagate(builder: Builder, incident_service: str, origin: str, start: datetime,
               factor: float) -> None:
    path = builder.world.truth.path(incident_service, origin)
    for distance, service in enumerate(reversed(path[:-1]), start=1):
        lag = timedelta(minutes=distance * builder.rng.uniform(0.2, 1))
        builder.effects.append(Effect(service, (start + lag).timestamp(),
                                      1 + (factor - 1) * 0.7 ** distance))


def _factor(rng: random.Random) -> float:
    return min(100.0, max(2.0, math.exp(rng.gauss(math.log(8), 1.0))))


def _confounders(builder: Builder, incident_service: str, onset: datetime) -> None:
    rng = builder.rng
    names = builder.world.truth.names
    if rng.random() < 0.7:
        for _ in range(rng.randint(1, 3)):
            builder.change(rng.choice(names), onset - timedelta(minutes=rng.uniform(0, 10)))
    if rng.random() < 0.4:
        target, _ = _target(builder.world, rng, incident_service, 2, 0.5)
        builder.change(target, onset - timedelta(minutes=rng.uniform(1, 30)))


def _telemetry(config: SynthConfig, world: World, builder: Builder,
               rng: random.Random) -> SynthTelemetry | None:
    if rng.random() >= config.p_telemetry:
        return None
    absent = frozenset(s for s in world.truth.names if rng.random() < 0.1)
    return SynthTelemetry(builder.prefix, config.instances, builder.deploys, builder.effects,
                          absent, carry_forward=config.time_ordered_versions)
