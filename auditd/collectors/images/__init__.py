"""Container image digests: a tag that silently points to a new digest is a change.

Public API (re-exported from the private-ish modules below):

* :mod:`.refs`: :func:`parse_ref` and :func:`refs_in_attrs` (pure);
* :mod:`.oci`: :class:`RegistryClient`, the OCI distribution API client (urllib);
* :mod:`.ecr`: :class:`EcrResolver`, Amazon ECR through ``ecr:DescribeImages``;
* :mod:`.collector`: one snapshot per registry, scope ``images/<registry host>``.

Collectors only read registries; the service (:mod:`auditd.service.images`) reads
the store for references to watch and ingests the snapshots.
"""

from __future__ import annotations

from auditd.collectors.images._auth import Credentials
from auditd.collectors.images.collector import (
    PROVIDER,
    TF_TYPE,
    RefOutcome,
    RegistryJob,
    RegistryOutcome,
    Resolver,
    collect_registry,
    resource_of,
    run_registries,
    scope_of,
    to_snapshot,
)
from auditd.collectors.images.ecr import IAM_ACTIONS, EcrResolver
from auditd.collectors.images.oci import Gone, Platform, RegistryClient, RegistryFault, Resolved
from auditd.collectors.images.refs import ImageRef, RefError, is_ecr_host, parse_ref, refs_in_attrs

__all__ = [
    "IAM_ACTIONS",
    "PROVIDER",
    "TF_TYPE",
    "Credentials",
    "EcrResolver",
    "Gone",
    "ImageRef",
    "Platform",
    "RefError",
    "RefOutcome",
    "RegistryClient",
    "RegistryFault",
    "RegistryJob",
    "RegistryOutcome",
    "Resolved",
    "Resolver",
    "collect_registry",
    "is_ecr_host",
    "parse_ref",
    "refs_in_attrs",
    "resource_of",
    "run_registries",
    "scope_of",
    "to_snapshot",
]
