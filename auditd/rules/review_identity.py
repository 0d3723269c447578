"""Who is who, for review: the identity forms of a person and whether two refer to the same one.

A change's author shows up in several forms: a git email (``alice@example.com``), a git
name (``Alice Ops``), ``Name <email>``, an IAM principal ARN
(``arn:aws:iam::123456789012:user/alice``) or an assumed-role session
(``arn:aws:sts::123456789012:assumed-role/AdminSSO/alice@example.com``).  An approver
types one of them.  :func:`same_person` compares them case-insensitively across forms:

* emails equal (case-insensitive), or names equal (case and spacing folded), or ARNs equal;
* a bare one-word handle (``alice``) names the owner of ``alice@...``;
* an ARN contributes its last part (the user or the role session name) as an email, a name
  or a handle, so ``alice`` approving a change by ``.../assumed-role/AdminSSO/alice`` is
  the author approving.  The role name itself is shared by many people and is not an identity.

Deliberately generous (like git attribution's ``Person.same_as``): a false "same person"
refuses an approval with a clear message; a false "different person" would let a
self-approval count as review.  Pure; knows nothing of the store or of git.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Identity", "anyone", "identity", "role_session_forms", "same_person"]

_NAMED_EMAIL = re.compile(r"(?P<name>[^<]*)<(?P<email>[^>]+)>\s*")
_ARN = re.compile(r"arn:[^:]+:(?:iam|sts)::(?P<account>[^:]*):(?P<resource>.+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Identity:
    """The normalised forms one text names a person by (any may be empty)."""

    emails: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    handles: frozenset[str] = frozenset()
    arns: frozenset[str] = frozenset()

    @property
    def logins(self) -> frozenset[str]:
        return frozenset(e.split("@", 1)[0] for e in self.emails)

    def __or__(self, other: Identity) -> Identity:
        return Identity(self.emails | other.emails, self.names | other.names,
                        self.handles | other.handles, self.arns | other.arns)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _plain(text: str) -> Identity:
    """An email, a one-word handle, or a name."""
    text = _fold(text)
    if not text:
        return Identity()
    if "@" in text and " " not in text:
        return Identity(emails=frozenset({text}))
    if " " not in text:
        return Identity(names=frozenset({text}), handles=frozenset({text}))
    return Identity(names=frozenset({text}))


@lru_cache(maxsize=4096)  # the same few actors and approvers recur across many changes
def identity(text: str) -> Identity:
    """Every form ``text`` names someone by (see the module docstring)."""
    text = text.strip()
    arn = _ARN.fullmatch(text)
    if arn is not None:
        resource = arn.group("resource")
        parts = resource.split("/")
        forms = Identity(arns=frozenset({_fold(text)}))
        if len(parts) >= 2 and parts[0].lower() in {"user", "assumed-role", "federated-user"}:
            forms = forms | _plain(parts[-1])
        return forms
    named = _NAMED_EMAIL.fullmatch(text)
    if named is not None:
        return _plain(named.group("email")) | Identity(
            names=frozenset({_fold(named.group("name"))} - {""}))
    return _plain(text)


def _meets(a: Identity, b: Identity) -> bool:
    return bool(a.emails & b.emails or a.names & b.names or a.arns & b.arns
                or a.handles & b.handles or a.handles & b.logins or b.handles & a.logins)


def same_person(a: str | Identity, b: str | Identity) -> bool:
    """Whether two identity texts (or parsed identities) name the same person."""
    left = identity(a) if isinstance(a, str) else a
    right = identity(b) if isinstance(b, str) else b
    return _meets(left, right)


def anyone(texts: Iterable[str]) -> Identity:
    """The union of the forms of several texts (e.g. every author of a change)."""
    out = Identity()
    for text in texts:
        if text:
            out = out | identity(text)
    return out


def role_session_forms(actor: str, issuer: str) -> list[str]:
    """Texts a deploy-principal glob may match, from a CloudTrail session issuer.

    ``issuer`` is the role ARN (``arn:aws:iam::123:role/path/terraform-deploy``); besides it,
    the assumed-role form ``arn:aws:sts::123:assumed-role/terraform-deploy/SESSION`` is
    offered, with the session name taken from ``actor`` when it is that role's session.
    """
    match = _ARN.fullmatch(issuer.strip())
    if match is None or not match.group("resource").lower().startswith("role/"):
        return [issuer] if issuer else []
    partition = issuer.split(":")[1]
    role = match.group("resource").split("/")[-1]
    session = "*"
    acting = _ARN.fullmatch(actor.strip()) if actor else None
    if acting is not None:
        parts = acting.group("resource").split("/")
        if len(parts) >= 3 and parts[0].lower() == "assumed-role" and parts[1] == role:
            session = parts[-1]
    return [issuer, f"arn:{partition}:sts::{match.group('account')}:assumed-role/{role}/{session}"]
