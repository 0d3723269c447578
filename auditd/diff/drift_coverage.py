"""IaC coverage, like driftctl's: managed / (managed + unmanaged + missing).

Counted overall and per account, region and type.  ``managed`` are live
resources found in a state (whether or not they drifted), ``unmanaged`` live
resources in no state, ``missing`` state resources known to be gone.  When a
state could not be read, unmanaged resources cannot be told apart and the
coverage is marked ``partial`` (its unmanaged counts are zero).  Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from auditd.model import Resource, ResourceKey

__all__ = ["Coverage", "CoverageCount", "coverage_of", "coverage_within"]


@dataclass(slots=True)
class CoverageCount:
    managed: int = 0
    unmanaged: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.managed + self.unmanaged + self.missing

    @property
    def ratio(self) -> float | None:
        """managed / total; None when there is nothing to count."""
        return self.managed / self.total if self.total else None

    @property
    def percent(self) -> int | None:
        """Whole percent, rounded down like driftctl's summary."""
        ratio = self.ratio
        return None if ratio is None else int(ratio * 100)


@dataclass(slots=True)
class Coverage:
    overall: CoverageCount = field(default_factory=CoverageCount)
    by_account: dict[str, CoverageCount] = field(default_factory=dict)
    by_region: dict[str, CoverageCount] = field(default_factory=dict)
    by_type: dict[str, CoverageCount] = field(default_factory=dict)
    partial: bool = False

    def add(self, account: str, region: str, tf_type: str, what: str, n: int = 1) -> None:
        for count in (self.overall, self.by_account.setdefault(account, CoverageCount()),
                      self.by_region.setdefault(region, CoverageCount()),
                      self.by_type.setdefault(tf_type, CoverageCount())):
            setattr(count, what, getattr(count, what) + n)


def coverage_of(live: Mapping[ResourceKey, Resource], applied: Collection[ResourceKey],
                missing: Iterable[ResourceKey], states_complete: bool) -> Coverage:
    """Coverage of one drift run (see the module docstring)."""
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for key in live:
        if key in applied:
            counts["managed", key.account, key.region, key.tf_type] += 1
        elif states_complete:
            counts["unmanaged", key.account, key.region, key.tf_type] += 1
    counts.update(("missing", k.account, k.region, k.tf_type) for k in missing)
    coverage = Coverage(partial=not states_complete)
    for (what, account, region, tf_type), n in counts.items():
        coverage.add(account, region, tf_type, what, n)
    return coverage


def coverage_within(managed: Iterable[ResourceKey], unmanaged: Iterable[ResourceKey],
                    missing: Iterable[ResourceKey], *, partial: bool,
                    keep: Callable[[ResourceKey], bool]) -> Coverage:
    """Coverage of the keys ``keep`` selects (one account, one type) of a drift run.

    ``managed`` are the live keys found in a state, ``unmanaged`` and ``missing`` the keys
    of those findings; counts outside the selection are left out of every total.
    """
    coverage = Coverage(partial=partial)
    for what, keys in (("managed", managed), ("unmanaged", unmanaged), ("missing", missing)):
        for key in keys:
            if keep(key):
                coverage.add(key.account, key.region, key.tf_type, what)
    return coverage
