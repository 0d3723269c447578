"""Collecting container image digests: which refs to watch, resolve them, one snapshot each
registry.

Order of work:

1. the refs to watch (:func:`watched_refs`): ``[[images.refs]]``, plus (``images.discover``)
   the images the store's current versions name (ECS task definitions' containers,
   Lambda ``image_uri``, any Terraform ``image`` attribute), plus every ref already
   stored under an ``images/`` scope, so that dropping a ref from the config or a task
   definition moving to a new tag never reads as a deletion: a ref leaves the store
   only when its registry answers that it is gone;
2. group them by registry; a private ECR host is read with ``ecr:DescribeImages``
   through the AWS collector's sessions, any other with the OCI distribution API
   (credentials from ``[[images.registries]]``: a file or an environment variable);
3. resolve each registry's refs (registries in parallel) and ingest one snapshot per
   registry, scope ``images/<registry host>``.

Faults are not deletions (see :mod:`auditd.collectors.images.collector`).  A partial
run (``refs`` given) removes nothing.  Passwords are read here, handed to the client,
and never stored, logged or put in a report.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from auditd.collectors.aws._session import AccountTarget, ClientFactory, RetryPolicy, open_account
from auditd.collectors.images import (
    TF_TYPE,
    Credentials,
    EcrResolver,
    ImageRef,
    Platform,
    RefError,
    RefOutcome,
    RegistryClient,
    RegistryFault,
    RegistryJob,
    RegistryOutcome,
    Resolved,
    Resolver,
    is_ecr_host,
    parse_ref,
    refs_in_attrs,
    run_registries,
    scope_of,
    to_snapshot,
)
from auditd.config import ImageRegistry, Settings
from auditd.errors import ConfigError
from auditd.model import ResourceVersion, SnapshotError
from auditd.service import Runtime, now_utc
from auditd.store import IngestResult

__all__ = ["ImagesReport", "RegistryReport", "WatchList", "collect_images", "watched_refs"]

Progress = Callable[[str], None]
EcrOpener = Callable[[str, str], ClientFactory]  # (account, region) -> clients


@dataclass(frozen=True, slots=True)
class WatchList:
    """The refs to resolve, their last stored resolutions, and values that were not refs."""

    refs: tuple[ImageRef, ...]
    known: Mapping[ImageRef, Resolved] = field(default_factory=dict)
    configured: int = 0
    discovered: int = 0
    stored: int = 0
    unparsable: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RegistryReport:
    registry: str
    scope: str
    source: str  # "oci" or "ecr"
    result: IngestResult | None
    refs: tuple[RefOutcome, ...] = ()
    errors: tuple[SnapshotError, ...] = ()


@dataclass(frozen=True, slots=True)
class ImagesReport:
    registries: tuple[RegistryReport, ...]
    seconds: float
    partial: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def refs(self) -> int:
        return sum(len(r.refs) for r in self.registries)

    @property
    def changed(self) -> int:
        return sum(r.result.added + r.result.modified + r.result.removed
                   for r in self.registries if r.result is not None)

    @property
    def unchanged(self) -> int:
        return sum(r.result.unchanged for r in self.registries if r.result is not None)

    @property
    def warnings(self) -> tuple[str, ...]:
        gone = [f"{o.ref}: {o.gone}" for r in self.registries for o in r.refs if o.gone]
        return (*self.notes, *(e.message for r in self.registries for e in r.errors), *gone)


def watched_refs(rt: Runtime, only: Sequence[str] = ()) -> WatchList:
    """The refs to resolve: ``only`` when given, else configured + discovered + stored."""
    if only:
        return WatchList(refs=tuple(sorted({_parse_given(text) for text in only})),
                         configured=len(only))
    configured = {_parse_configured(w.ref) for w in rt.settings.images.refs}
    discovered: set[ImageRef] = set()
    stored: dict[ImageRef, Resolved] = {}
    bad: list[str] = []
    for info in rt.store.scopes():
        if info.name.startswith("images/"):
            stored.update(_stored_refs(rt, info.name))
        elif rt.settings.images.discover:
            discovered |= _discovered_refs(rt, info.name, bad)
    every = configured | discovered | set(stored)
    return WatchList(refs=tuple(sorted(every)), known=stored, configured=len(configured),
                     discovered=len(discovered - configured), stored=len(stored),
                     unparsable=tuple(sorted(set(bad)))[:20])


def _parse_given(text: str) -> ImageRef:
    try:
        return parse_ref(text)
    except RefError as exc:
        raise ConfigError(str(exc), hint="pass --ref registry/repository:tag") from None


def _parse_configured(text: str) -> ImageRef:
    try:
        return parse_ref(text)
    except RefError as exc:
        raise ConfigError(f"[[images.refs]]: {exc}", hint="see docs/images.md") from None


def _stored_refs(rt: Runtime, scope: str) -> dict[ImageRef, Resolved]:
    found = {}
    for version in rt.store.scope_state(scope):
        if version.key.tf_type == TF_TYPE:
            try:
                found[parse_ref(version.key.id)] = _stored_resolution(version)
            except (RefError, KeyError, TypeError):
                continue
    return found


def _stored_resolution(version: ResourceVersion) -> Resolved:
    attrs = version.attrs
    platforms = tuple(Platform(str(p["platform"]), str(p["digest"]), str(p["media_type"]))
                      for p in attrs.get("platforms") or ())
    return Resolved(str(attrs["digest"]), str(attrs["media_type"]), platforms)


def _discovered_refs(rt: Runtime, scope: str, bad: list[str]) -> set[ImageRef]:
    found = set()
    for version in rt.store.scope_state(scope):
        for text in refs_in_attrs(version.key.tf_type, version.attrs):
            try:
                found.add(parse_ref(text))
            except RefError:
                bad.append(text[:120])
    return found


def collect_images(rt: Runtime, *, refs: Sequence[str] = (), progress: Progress | None = None,
                   now: datetime | None = None,
                   ecr_opener: EcrOpener | None = None) -> ImagesReport:
    """Resolve the watched refs and ingest one snapshot per registry (module docstring)."""
    started, say = time.monotonic(), progress or (lambda _msg: None)
    taken_at = now or now_utc()
    watch = watched_refs(rt, refs)
    say(f"images: {len(watch.refs)} ref(s) ({watch.configured} configured, "
        f"{watch.discovered} discovered, {watch.stored} already watched)")
    jobs, failed = _jobs(rt.settings, watch, ecr_opener or _ecr_opener(rt.settings))
    outcomes = run_registries(jobs, max_workers=rt.settings.images.max_workers,
                              progress=lambda o: say(_progress_line(o)))
    outcomes += failed
    partial = [SnapshotError("partial collection (--ref): nothing is reported removed",
                             kind="partial")] if refs else []
    reports = tuple(_ingest(rt, o, taken_at, partial) for o in outcomes)
    notes = tuple(f"not an image reference, skipped: {t!r}" for t in watch.unparsable)
    return ImagesReport(registries=reports, seconds=time.monotonic() - started,
                        partial=bool(refs), notes=notes)


def _jobs(settings: Settings, watch: WatchList, ecr_opener: EcrOpener
          ) -> tuple[list[RegistryJob], list[RegistryOutcome]]:
    by_registry: dict[str, list[ImageRef]] = {}
    for ref in watch.refs:
        by_registry.setdefault(ref.registry, []).append(ref)
    jobs: list[RegistryJob] = []
    failed: list[RegistryOutcome] = []
    for registry, group in sorted(by_registry.items()):
        source = "ecr" if is_ecr_host(registry) else "oci"
        try:
            jobs.append(RegistryJob(_resolver(settings, registry, ecr_opener), group, source,
                                    {r: watch.known[r] for r in group if r in watch.known}))
        except (ConfigError, RegistryFault) as exc:
            fault = RegistryFault("credentials", f"{registry}: {exc}", wide=True)
            failed.append(RegistryOutcome(registry, tuple(
                RefOutcome(ref, fault=fault, source=source) for ref in group)))
    return jobs, failed


def _resolver(settings: Settings, registry: str, ecr_opener: EcrOpener) -> Resolver:
    ecr = is_ecr_host(registry)
    if ecr is not None:
        try:
            return EcrResolver(registry, ecr_opener(*ecr))
        except Exception as exc:
            raise RegistryFault("credentials", f"cannot open AWS for ECR: {exc}") from None
    configured = _registry_settings(settings, registry)
    return RegistryClient(registry, credentials=_credentials(configured),
                          insecure=bool(configured and configured.insecure),
                          timeout=settings.images.timeout)


def _registry_settings(settings: Settings, registry: str) -> ImageRegistry | None:
    return next((r for r in settings.images.registries if r.host.lower() == registry), None)


def _credentials(configured: ImageRegistry | None) -> Credentials | None:
    """The registry's user and password, read now from its file or environment variable."""
    if configured is None or not configured.username:
        return None
    where = f"[[images.registries]] {configured.host}"
    if configured.password_file is not None:
        try:
            password = configured.password_file.read_text().rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(
                f"{where}: cannot read password_file {configured.password_file} "
                f"({exc.strerror})", hint="fix the path or its permissions") from None
    elif configured.password_env:
        password = os.environ.get(configured.password_env, "")
    else:
        password = ""
    if not password:
        raise ConfigError(f"{where}: username {configured.username!r} has no password",
                          hint="set password_file or password_env (docs/images.md)")
    return Credentials(configured.username, password)


def _ecr_opener(settings: Settings) -> EcrOpener:
    """ECR clients as the AWS collector makes them: the account's configured role chain,
    or the default credentials, with ``[aws]``'s endpoint and retries."""
    aws = settings.aws
    retry = RetryPolicy(max_attempts=aws.max_attempts)

    def opener(account: str, region: str) -> ClientFactory:
        configured = next((a for a in aws.accounts if a.id == account), None)
        target = AccountTarget(account_id=account, profile=aws.profile) if configured is None \
            else AccountTarget(account_id=account, name=configured.name,
                               profile=configured.profile or aws.profile,
                               role_arns=(*configured.role_chain,
                                          *([configured.role_arn] if configured.role_arn else [])),
                               external_id=configured.external_id,
                               session_name=configured.session_name,
                               duration_seconds=configured.duration_seconds)
        return open_account(target, endpoint_url=aws.endpoint_url, home_region=region,
                            retry=retry)

    return opener


def _ingest(rt: Runtime, outcome: RegistryOutcome, taken_at: datetime,
            partial: Sequence[SnapshotError]) -> RegistryReport:
    snapshot = to_snapshot(outcome, taken_at, extra_errors=partial)
    result = rt.store.ingest(snapshot, rt.fingerprinter, source=f"images:{outcome.registry}")
    source = outcome.refs[0].source if outcome.refs else "oci"
    return RegistryReport(outcome.registry, scope_of(outcome.registry), source, result,
                          refs=outcome.refs, errors=snapshot.errors)


def _progress_line(outcome: RefOutcome) -> str:
    where = f"images {outcome.ref}"
    if outcome.resolved is not None:
        return f"{where}: {outcome.resolved.digest} ({outcome.seconds:.2f} s)"
    if outcome.gone:
        return f"{where}: GONE ({outcome.gone})"
    kind = outcome.fault.kind if outcome.fault is not None else "error"
    return f"{where}: NOT RESOLVED ({kind})"
