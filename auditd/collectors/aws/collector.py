"""The live AWS collector's runner: (account, region, type) tasks on a thread pool.

Public API::

    plan(account, clients, regions, types, home_region)  -> [Task]
    run_tasks(tasks, strict=..., max_workers=..., progress=...) -> [TypeOutcome]
    to_snapshot(account, outcomes, taken_at, partial=...) -> Snapshot   (scope aws/<account>)

Each task reads one type in one region (global types: once per account, keyed
``global``): the list call with paging, then the type's per-item describe calls,
then its mapping.  A type declaring ``bulk_tags`` gets its items' tags from one
``tag:GetResources`` fetch per (account, region, filter) shared by the run's tasks
(:class:`~auditd.collectors.aws._tag_index.TagIndex`), or, when that API fails
there, from its own per-item tag call.  Any failure of a task (AccessDenied, throttling after
botocore's retries, an endpoint error, a timeout, even a mapping bug) becomes a
:class:`~auditd.model.SnapshotError` scoped to exactly that (account, region,
type): the other tasks' resources are kept, and the store keeps that part's
resources as last seen.  Faults are not deletions.

This module only reads AWS; it never writes to the store (the service does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from auditd.collectors.aws._base import AWSType, Describe, Location, tag_arn_key
from auditd.collectors.aws._faults import error_code, fault_error
from auditd.collectors.aws._session import ClientFactory
from auditd.collectors.aws._tag_index import TagIndex, TagMap
from auditd.model import Resource, ResourceKey, Snapshot, SnapshotError

__all__ = ["DEFAULT_MAX_WORKERS", "Task", "TypeOutcome", "plan", "run_tasks", "scope_of",
           "to_snapshot"]

DEFAULT_MAX_WORKERS = 8
Progress = Callable[["TypeOutcome"], None]
TagSource = Callable[[], "TagMap | None"]


@dataclass(frozen=True, slots=True)
class Task:
    """Read one type at one location with one account's clients."""

    aws_type: type[AWSType]
    where: Location
    clients: ClientFactory


@dataclass(frozen=True, slots=True)
class TypeOutcome:
    """What one task saw: its resources, the AWS-managed objects it skipped, or its fault."""

    account: str
    region: str  # the key region: "global" for global services
    tf_type: str
    service: str
    resources: tuple[Resource, ...] = ()
    skipped_managed: int = 0
    error: SnapshotError | None = None
    seconds: float = 0.0


def scope_of(account: str) -> str:
    return f"aws/{account}"


def plan(account: str, clients: ClientFactory, regions: Sequence[str],
         types: Iterable[type[AWSType]], home_region: str) -> list[Task]:
    """One task per (region, regional type), plus one per global type (in ``home_region``)."""
    tasks = []
    for aws_type in types:
        if aws_type.global_service:
            tasks.append(Task(aws_type, Location(account, home_region), clients))
        else:
            tasks += [Task(aws_type, Location(account, region), clients) for region in regions]
    return tasks


def run_tasks(tasks: Sequence[Task], *, strict: bool = False,
              max_workers: int = DEFAULT_MAX_WORKERS,
              progress: Progress | None = None) -> list[TypeOutcome]:
    """Run every task on a pool of threads; outcomes in task order."""
    outcomes: dict[int, TypeOutcome] = {}
    tag_index = TagIndex()
    with ThreadPoolExecutor(max_workers=max(1, max_workers),
                            thread_name_prefix="driftaudit-aws") as pool:
        futures = {pool.submit(run_task, task, strict=strict, tag_index=tag_index): n
                   for n, task in enumerate(tasks)}
        for future in as_completed(futures):
            outcome = future.result()  # run_task never raises
            outcomes[futures[future]] = outcome
            if progress is not None:
                progress(outcome)
    return [outcomes[n] for n in range(len(tasks))]


def run_task(task: Task, *, strict: bool = False,
             tag_index: TagIndex | None = None) -> TypeOutcome:
    """Read one type at one location; every failure becomes the outcome's error.
    ``tag_index`` is shared by the tasks of one run (a fresh one by default)."""
    started = time.monotonic()
    reader = task.aws_type(task.where)
    account, region = task.where.account, reader.key_region
    try:
        client = task.clients.client(reader.service, task.where.region)
        tags = _tag_source(task, reader, tag_index or TagIndex())
        resources, skipped = _read(reader, client, strict, tags)
    except Exception as exc:  # faults are not deletions: whatever failed, mark that scope
        error = fault_error(exc, account=account, region=region, tf_type=reader.tf_type,
                            service=reader.service)
        return TypeOutcome(account, region, reader.tf_type, reader.service, error=error,
                           seconds=time.monotonic() - started)
    return TypeOutcome(account, region, reader.tf_type, reader.service,
                       resources=tuple(resources), skipped_managed=skipped,
                       seconds=time.monotonic() - started)


def _tag_source(task: Task, reader: AWSType, tag_index: TagIndex) -> TagSource:
    """The type's bulk tags, fetched on first use (not at all when nothing is listed)."""
    bulk = reader.bulk_tags
    if bulk is None:
        return lambda: None
    return lambda: tag_index.tags(task.clients, task.where, bulk.resource_type)


def _read(reader: AWSType, client: Any, strict: bool,
          tags: TagSource) -> tuple[list[Resource], int]:
    resources: list[Resource] = []
    skipped = 0
    for listed in _listed(reader, client):
        raw = reader.item(listed)
        described = _described(reader, client, raw, strict, tags)
        if described is None:
            skipped += 1
        elif reader.exists(described):
            resources.append(reader.resource(described))
    return resources, skipped


def _listed(reader: AWSType, client: Any) -> Iterator[Any]:
    within = reader.within
    if within is None:
        yield from _pages(client, reader.list_call[0], reader.list_params(), reader.items_of)
        return
    for parent in _pages(client, within.list_call[0], {}, within.items_of):
        params = {**reader.list_params(), **within.request(parent)}
        try:
            for listed in _pages(client, reader.list_call[0], params, reader.items_of):
                yield reader.child_item(parent, listed)
        except ClientError as exc:
            if error_code(exc) not in within.absent:
                raise


def _pages(client: Any, operation: str, params: Mapping[str, Any],
           items_of: Callable[[Mapping[str, Any]], Iterable[Any]]) -> Iterator[Any]:
    """Every item of one list call, through botocore's paginator when it has one."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**params):
            yield from items_of(page)
    else:
        yield from items_of(getattr(client, operation)(**params))


def _described(reader: AWSType, client: Any, raw: dict[str, Any], strict: bool,
               tags: TagSource) -> dict[str, Any] | None:
    """The item with every describe call's result and its tags; None when it is
    AWS-managed (not strict)."""
    if not strict and reader.is_aws_managed(raw):
        return None
    for call in reader.describe:
        raw[call.into] = _describe(client, call, raw) if call.applies(raw) else None
        if not strict and reader.is_aws_managed(raw):
            return None
    bulk = reader.bulk_tags
    if bulk is not None:
        found = tags()
        if found is None:  # the tagging API failed here: the type's own tag call
            raw[bulk.fallback.into] = _describe(client, bulk.fallback, raw)
        else:
            raw[bulk.fallback.into] = dict(found.get(tag_arn_key(reader.tagged_arn(raw)), {}))
    return raw


def _describe(client: Any, call: Describe, raw: Mapping[str, Any]) -> Any:
    try:
        answer = getattr(client, call.operation)(**call.request(raw))
    except ClientError as exc:
        if error_code(exc) in call.absent:
            return None
        raise
    if call.result_key is not None:
        return answer.get(call.result_key)
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def to_snapshot(account: str, outcomes: Iterable[TypeOutcome], taken_at: datetime, *,
                extra_errors: Sequence[SnapshotError] = ()) -> Snapshot:
    """One account's snapshot: every outcome's resources; incomplete where a task failed.

    ``extra_errors`` are failures outside the tasks (region discovery, a partial
    collection that must not delete what it did not look at).
    """
    seen: dict[ResourceKey, Resource] = {}
    errors = list(extra_errors)
    for outcome in outcomes:
        if outcome.error is not None:
            errors.append(outcome.error)
        for resource in outcome.resources:
            seen.setdefault(resource.key, resource)
    return Snapshot(scope=scope_of(account), taken_at=taken_at,
                    resources=tuple(seen.values()), complete=not errors, errors=tuple(errors))
