"""The normaliser chain: raw collector attributes in, canonical attributes out.

Pure functions only: no I/O, no clock.  The chain runs in a fixed order (see
:data:`CHAIN` in :mod:`auditd.normalize.chain`); each step is idempotent, so
normalising twice gives the same result, and the output depends neither on
dict key order nor on the order of set-like lists.  Secret values never leave
the chain in clear: they become HMAC-SHA256 fingerprints.
"""

from __future__ import annotations

from auditd.normalize.chain import CHAIN, NORMALIZER_VERSION, normalize_attrs, normalize_resource
from auditd.normalize.secrets import (
    FINGERPRINT_PREFIX,
    Fingerprinter,
    HmacFingerprinter,
    is_fingerprint,
)
from auditd.normalize.typerules import TypeRules, register_type_rules, rules_for

__all__ = [
    "CHAIN",
    "FINGERPRINT_PREFIX",
    "NORMALIZER_VERSION",
    "Fingerprinter",
    "HmacFingerprinter",
    "TypeRules",
    "is_fingerprint",
    "normalize_attrs",
    "normalize_resource",
    "register_type_rules",
    "rules_for",
]
