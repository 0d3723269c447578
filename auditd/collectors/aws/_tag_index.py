"""Tags in bulk: ``tag:GetResources`` once per (account, region, resource type filter).

The Resource Groups Tagging API returns the tags of up to 100 resources per call,
where the services' own tag calls (``logs:ListTagsForResource``,
``lambda:ListTags``, ``sqs:ListQueueTags``, ...) read one resource each.  A type
declaring :class:`~auditd.collectors.aws._base.BulkTags` gets its items' tags from
a :class:`TagIndex` shared by one collection's tasks: the first task that asks for
an (account, region, filter) fetches it, paginated, while the others asking for
the same key wait; different keys are fetched in parallel.

A fetch that fails for any reason (``tag:GetResources`` denied, the API not
available in the region, throttled after retries) is remembered as ``None``:
the runner then falls back to the type's per-item tag call, so a missing
permission costs speed, not correctness.

Read-only; never writes to AWS or to the store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from auditd.collectors.aws._base import Location, tag_arn_key, tags_of
from auditd.collectors.aws._session import ClientFactory

__all__ = ["TAGGING_SERVICE", "TagIndex", "TagMap"]

TAGGING_SERVICE = "resourcegroupstaggingapi"
_PAGE = 100  # the API's maximum ResourcesPerPage
_log = logging.getLogger(__name__)

TagMap = Mapping[str, dict[str, str]]  # tag_arn_key(ARN) -> {tag key: value}


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    tags: TagMap | None = None


class TagIndex:
    """ARN -> tags for one collection, fetched at most once per key, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], _Entry] = {}
        self.fetches = 0  # GetResources fetches made (tests and benchmarks count them)

    def tags(self, clients: ClientFactory, where: Location,
             resource_type: str) -> TagMap | None:
        """The tags of every listed resource of ``resource_type`` at ``where``;
        ``None`` when the tagging API failed there (use the per-item call)."""
        entry = self._entry((where.account, where.region, resource_type))
        with entry.lock:
            if not entry.done:
                entry.tags = self._fetch(clients, where, resource_type)
                entry.done = True
            return entry.tags

    def _entry(self, key: tuple[str, str, str]) -> _Entry:
        with self._lock:
            return self._entries.setdefault(key, _Entry())

    def _fetch(self, clients: ClientFactory, where: Location,
               resource_type: str) -> TagMap | None:
        self.fetches += 1
        try:
            return fetch_tags(clients, where.region, resource_type)
        except Exception as exc:  # any failure: the per-item calls still give the tags
            _log.info("tag:GetResources failed for %s in %s/%s (%s): per-item tag calls "
                      "instead", resource_type, where.account, where.region, exc)
            return None


def fetch_tags(clients: ClientFactory, region: str, resource_type: str) -> TagMap:
    """Every page of ``GetResources`` for one ``ResourceTypeFilters`` value in one region.
    Raises botocore errors."""
    client = clients.client(TAGGING_SERVICE, region)
    pages = client.get_paginator("get_resources").paginate(
        ResourceTypeFilters=[resource_type], ResourcesPerPage=_PAGE)
    found: dict[str, dict[str, str]] = {}
    for page in pages:
        for mapping in page.get("ResourceTagMappingList") or ():
            found[tag_arn_key(str(mapping["ResourceARN"]))] = tags_of(mapping.get("Tags"))
    return found
