"""Job leases on SQLite and PostgreSQL: one run per period, a dead holder's job taken over.

Separate Store objects in threads stand for separate ``driftaudit serve`` processes.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from auditd.store import Leases, Store

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PERIOD, TTL = timedelta(minutes=5), timedelta(minutes=2)


def _claim(leases: Leases, holder: str, at: datetime) -> bool:
    return leases.claim("collect-aws", holder, now=at, period=PERIOD, ttl=TTL)


def test_a_held_lease_is_refused_and_a_finished_run_waits_a_period(store: Store) -> None:
    leases = Leases(store)
    assert _claim(leases, "a", T0)
    assert not _claim(leases, "b", T0 + timedelta(seconds=30))  # a is running
    leases.release("collect-aws", "a", now=T0 + timedelta(minutes=1), outcome="ok")
    assert not _claim(leases, "b", T0 + timedelta(minutes=3))  # a ran it this period
    assert _claim(leases, "b", T0 + PERIOD)
    (state,) = leases.states()
    assert (state.holder, state.last_outcome) == ("b", "ok")
    assert state.last_started == T0 + PERIOD


def test_a_dead_holders_job_is_taken_over_once_its_lease_expires(store: Store) -> None:
    leases = Leases(store)
    assert _claim(leases, "dead", T0)  # never releases: the process was killed
    assert not _claim(leases, "b", T0 + TTL - timedelta(seconds=1))
    assert _claim(leases, "b", T0 + PERIOD)  # the next period's claim takes it over
    assert not leases.renew("collect-aws", "dead", now=T0 + PERIOD, ttl=TTL)


def test_renewal_keeps_a_long_run_from_being_taken_over(store: Store) -> None:
    leases = Leases(store)
    assert _claim(leases, "a", T0)
    for minute in range(1, 9):  # a 9-minute run renews its 2-minute lease every minute
        assert leases.renew("collect-aws", "a", now=T0 + timedelta(minutes=minute), ttl=TTL)
    assert not _claim(leases, "b", T0 + PERIOD + timedelta(minutes=1))


def test_concurrent_claimants_exactly_one_wins(store_url: str) -> None:
    Store(store_url).close()  # create the schema once, as a deployment does
    stores = [Store(store_url, busy_timeout_s=10.0) for _ in range(6)]
    winners: list[str] = []
    start = threading.Barrier(len(stores))

    def contend(n: int) -> None:
        start.wait()
        if _claim(Leases(stores[n]), f"p{n}", T0):
            winners.append(f"p{n}")

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for opened in stores:
        opened.close()
    assert len(winners) == 1
