"""The oracle ceiling: told the faulty service and the fault's start, it ranks by likelihood."""

from __future__ import annotations

from datetime import timedelta

from auditd.correlate.candidates import Candidate
from auditd.correlate.synth import SynthConfig, generate
from auditd.correlate.synth_oracle import oracle_rank
from auditd.correlate.synth_world import Case, Fault
from auditd.correlate.topology import ServiceModel
from tests.unit.correlate.builders import ONSET, before, change, incident


def _case(changes: tuple[Candidate, ...], cause: str, fault: Fault,
          alert: tuple[str, ...] = ("a", "b")) -> Case:
    return Case("t", incident(), changes, ServiceModel(()), None, alert, cause, "cause:x", fault)


def test_a_prompt_cause_beats_a_later_change_elsewhere_and_an_early_one_on_its_service() -> None:
    fault = Fault("checkout", before(5))
    cause = change("cause", 6)
    case = _case((change("other", 5.5, "search"), change("early", 400), cause), cause.ref, fault)
    assert oracle_rank(case) == 1


def test_the_alert_word_rules_out_changes_whose_summary_does_not_end_in_it() -> None:
    fault = Fault("checkout", before(5))
    risky = change("risky", 6, summary="deploy checkout: pool", reviewed=False, emergency=True)
    cause = change("cause", 6, summary="deploy checkout: tls")
    case = _case((risky, cause), cause.ref, fault, ("a", "b", "tls"))
    assert oracle_rank(case) == 1


def test_risk_flags_break_the_tie_between_two_latent_candidates() -> None:
    fault = Fault("checkout", ONSET - timedelta(minutes=5))
    cause = change("cause", 65, reviewed=False)
    case = _case((change("calm", 95, reviewed=True), cause), cause.ref, fault)
    assert oracle_rank(case) == 1


def test_no_fault_no_rank() -> None:
    assert oracle_rank(Case("t", incident(), (), ServiceModel(()), None, (), None, "x")) is None


def test_generated_faults_lie_on_the_cause_s_service_after_it_and_the_oracle_finds_them() -> None:
    causal = [c for c in generate(SynthConfig(incidents=60), 5) if c.fault is not None]
    assert causal
    for case in causal:
        rank, fault = oracle_rank(case), case.fault
        assert rank is not None and fault is not None
        cause = next(c for c in case.candidates if c.ref == case.cause)
        assert fault.service in cause.services or any(
            r.startswith(f"module.{fault.service}.") for r in cause.resources)
        assert fault.start >= cause.started_at
    assert sum(oracle_rank(c) == 1 for c in causal) / len(causal) > 0.85
