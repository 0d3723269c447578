"""Telling a normaliser upgrade from a change in the resource.

A stored version holds its attributes as the normaliser *of its day* left them.  When
:data:`~auditd.normalize.NORMALIZER_VERSION` changes (say, ECS references stored short
from version 6 on), a resource nobody touched normalises differently from what the store
holds, and a plain comparison would record a change nobody made.

:func:`restate` re-applies the current chain to the stored (already normalised)
attributes and compares the result with the new snapshot's normalised attributes:

- equal: the difference is the normaliser's alone (``normalisation_only``); the store
  records the new form as a new version *without* a change (see
  :mod:`auditd.store.ingest`);
- different: a real change; its field-level diff is taken against the restated
  attributes, so it lists what changed in the resource and not what the upgrade
  rewrote (``task_definition: web:3 -> web:4``, not also ``cluster: arn:… -> apps``).

This relies on each step of the chain being idempotent and applicable to its own
output, which the chain promises (:mod:`auditd.normalize`) and the tests check.  Secret
fingerprints pass through re-fingerprinting unchanged (the fingerprinter never hashes a
fingerprint again) and nothing here can turn one back into a clear value: a secret whose
fingerprint the current chain would compute differently cannot be reproduced from a
stored fingerprint, so it stays a difference.  Whenever a step cannot be re-applied
safely -- it fails on stored data, or the chain is not idempotent on the new attributes
-- the stored attributes are taken as they are and the difference counts as real: a
phantom change is better than a lost one.

Pure: no I/O; it must not decide anything the stored data cannot show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditd.normalize import HmacFingerprinter, normalize_attrs
from auditd.normalize.canonical import canonical_json

__all__ = ["Restatement", "restate"]


@dataclass(frozen=True, slots=True)
class Restatement:
    """How a stored version compares with new attributes under the current normaliser."""

    before: Mapping[str, Any]  # what to diff the new attributes against
    normalisation_only: bool  # True: no change in the resource, only in its stored form


@dataclass(frozen=True, slots=True)
class NewSide:
    """The new snapshot's resource: type, sensitive paths and its normalised attributes."""

    tf_type: str
    sensitive_paths: Sequence[str]
    attrs: Mapping[str, Any]
    canonical: bytes  # canonical_json(attrs)


def restate(stored: Mapping[str, Any], new: NewSide, fp: HmacFingerprinter) -> Restatement:
    """Judge ``stored`` (a version's attributes) against ``new`` (their hashes differ)."""
    restated = _reapplied(new.tf_type, stored, new.sensitive_paths, fp)
    if restated is None:
        return Restatement(stored, normalisation_only=False)
    restated_json = canonical_json(restated)
    if restated_json == canonical_json(stored):
        # Already in the current form: the usual case of a real change, nothing to restate.
        return Restatement(stored, normalisation_only=False)
    if not _idempotent_on(new, fp):
        return Restatement(stored, normalisation_only=False)
    return Restatement(restated, normalisation_only=restated_json == new.canonical)


def _reapplied(tf_type: str, stored: Mapping[str, Any], sensitive_paths: Sequence[str],
               fp: HmacFingerprinter) -> dict[str, Any] | None:
    """The current chain over stored attributes; None when a step fails on them.

    The new snapshot's sensitive paths apply: which values are secret is an input of the
    normaliser, and a value stored in clear that is secret now gets fingerprinted here,
    never the other way round.
    """
    try:
        return normalize_attrs(tf_type, stored, fp, sensitive_paths)
    except (TypeError, ValueError):
        return None


def _idempotent_on(new: NewSide, fp: HmacFingerprinter) -> bool:
    """Whether the chain leaves its own output alone here (its steps can be re-applied)."""
    again = _reapplied(new.tf_type, new.attrs, new.sensitive_paths, fp)
    return again is not None and canonical_json(again) == new.canonical
