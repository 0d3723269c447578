"""The declarative base of the live AWS collector: :class:`AWSType` and its registry.

One small class per Terraform resource type says *what* to read; the runner in
:mod:`auditd.collectors.aws.collector` does the reading (paging, per-item
describe calls, retries, faults).  A type declares:

* ``tf_type``, ``service`` (the boto3 client name) and ``global_service``
  (IAM, Route53: collected once per account, keyed with region ``global``);
* ``list_call = (operation, result key)`` plus ``list_args``; the runner uses
  botocore's paginator whenever the operation has one;
* ``within`` (:class:`Within`), for types listed per parent object: the parents'
  list call, then this type's list call once per parent (listeners per load
  balancer, records per hosted zone); :meth:`AWSType.child_item` joins the two;
* ``id_field``, or an :meth:`AWSType.item_id` override, giving the id Terraform
  stores (so live and tfstate resources share one :class:`~auditd.model.ResourceKey`);
* ``describe``: per-item calls (:class:`Describe`) whose results are added to the
  item, in order; a call with ``when`` is made only for the items it concerns
  (``GetFunction`` for container-image Lambdas only), so other items cost no request;
* ``bulk_tags`` (:class:`BulkTags`): tags read for the whole region at once with
  ``tag:GetResources`` (the Resource Groups Tagging API, 100 resources a call)
  instead of one tag call per item; the type's per-item tag call stays as the
  fallback when that API fails for the region (e.g. ``tag:GetResources`` denied);
* ``iam``: the read-only actions those calls need (the documented least-privilege
  policy is generated from these lists);
* :meth:`AWSType.to_attrs`: the AWS shape mapped to Terraform attribute names.  The
  keys it returns are the keys the type *maps*: only those are compared with state,
  except the ones named in ``live_only`` (facts AWS reports that Terraform never
  stores, such as a Lambda image's resolved digest: kept in the live record and its
  history, never compared);
* :meth:`AWSType.is_aws_managed`: defaults AWS creates (default VPC, service-linked
  roles, ...) that are skipped unless the collection is ``strict``.

Conventions of :meth:`to_attrs`, matching how the Terraform AWS provider stores state:
an unset string is ``""`` (the SDK's zero value), an unset number ``0``, an unset
bool ``false``; all tags are emitted as ``tags_all`` (live AWS cannot tell the
resource's own ``tags`` from the provider's ``default_tags``, so ``tags`` is never
mapped); JSON policies are JSON strings.

This module does no I/O and must not import boto3: types are pure data plus
pure mapping functions, testable without AWS.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from auditd.model import Origin, Resource, ResourceKey

__all__ = [
    "GLOBAL_REGION",
    "AWSType",
    "BulkTags",
    "Describe",
    "Location",
    "Within",
    "aws_type",
    "get_type",
    "json_text",
    "registered_types",
    "rfc3339",
    "tag_arn_key",
    "tags_of",
    "text",
]

GLOBAL_REGION = "global"
PROVIDER = "aws"
# Modules of this package that hold no resource types (loaded on demand, or infrastructure).
_NOT_TYPE_MODULES = frozenset({"s3", "collector", "iam_policy"})

_REGISTRY: dict[str, type[AWSType]] = {}


@dataclass(frozen=True, slots=True)
class Describe:
    """One per-item call whose result is added to the item under ``into``.

    ``params`` maps API parameter names to fields of the item
    (``{"Bucket": "Name"}``); ``const`` adds fixed parameters.  ``result_key``
    keeps one part of the response (``None``: the response without its
    metadata).  An error whose code is in ``absent`` means "not configured":
    the item gets ``None`` under ``into`` instead of failing the type.
    ``when = (field, value)`` makes the call only for items whose ``field`` equals
    ``value`` (``("PackageType", "Image")``); other items get ``None`` under
    ``into`` without a request.
    """

    operation: str
    params: Mapping[str, str]
    into: str
    result_key: str | None = None
    const: Mapping[str, Any] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    when: tuple[str, str] | None = None

    def applies(self, raw: Mapping[str, Any]) -> bool:
        """True when this call is to be made for the item (see ``when``)."""
        return self.when is None or raw.get(self.when[0]) == self.when[1]

    def request(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.const, **{name: raw[source] for name, source in self.params.items()}}


@dataclass(frozen=True, slots=True)
class BulkTags:
    """A type whose tags come from ``resourcegroupstaggingapi:GetResources``.

    ``resource_type`` is the ``ResourceTypeFilters`` value (``lambda:function``, or a
    whole service: ``sqs``); the runner fetches it once per (account, region),
    paginated, as ARN -> tags, and puts each item's tags (a ``{key: value}`` map;
    ``{}`` when the API does not list the ARN: it lists only tagged, or once
    tagged, resources) under ``fallback.into``, looked up by
    :meth:`AWSType.tagged_arn`.  When the tagging API fails for the region the
    runner makes ``fallback``, the type's own per-item tag call, instead.
    """

    resource_type: str
    fallback: Describe
    arn_field: str


@dataclass(frozen=True, slots=True)
class Within:
    """The parents a type is listed under: ``list_call = (operation, result key)`` lists
    them (paginated like any list call), and ``params`` maps the child list call's
    parameters to fields of one parent item.  A parent listed as a plain string (an
    ECS cluster ARN) is itself the value of every parameter.  An error whose code is in
    ``absent`` while listing one parent's children means the parent is gone (deleted
    between the two calls), and so are its children: that parent is skipped."""

    list_call: tuple[str, str]
    params: Mapping[str, str]
    absent: frozenset[str] = frozenset()

    def items_of(self, page: Mapping[str, Any]) -> Iterable[Any]:
        return page.get(self.list_call[1]) or ()

    def request(self, parent: Any) -> dict[str, Any]:
        if isinstance(parent, Mapping):
            return {name: parent[source] for name, source in self.params.items()}
        return dict.fromkeys(self.params, parent)


@dataclass(frozen=True, slots=True)
class Location:
    """Where a type is being read: the account, and the AWS region of the API calls."""

    account: str
    region: str
    partition: str = "aws"


class AWSType:
    """One Terraform resource type read from AWS.  Subclass, declare, register with
    :func:`aws_type`.  An instance is bound to one :class:`Location`."""

    tf_type: ClassVar[str]
    service: ClassVar[str]
    list_call: ClassVar[tuple[str, str]]
    list_args: ClassVar[Mapping[str, Any]] = {}
    id_field: ClassVar[str] = ""
    describe: ClassVar[tuple[Describe, ...]] = ()
    iam: ClassVar[tuple[str, ...]] = ()
    global_service: ClassVar[bool] = False
    within: ClassVar[Within | None] = None
    bulk_tags: ClassVar[BulkTags | None] = None
    sensitive_paths: ClassVar[tuple[str, ...]] = ()
    live_only: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, where: Location) -> None:
        self.where = where

    @property
    def key_region(self) -> str:
        """The region of this type's keys: ``global`` for global services."""
        return GLOBAL_REGION if self.global_service else self.where.region

    def list_params(self) -> dict[str, Any]:
        """Parameters of the list call (override when they depend on the location)."""
        return dict(self.list_args)

    def items_of(self, page: Mapping[str, Any]) -> Iterable[Any]:
        """The items of one page of the list call."""
        return page.get(self.list_call[1]) or ()

    def item(self, listed: Any) -> dict[str, Any]:
        """One listed item as a dict (override when the list call returns plain strings)."""
        return dict(listed)

    def child_item(self, parent: Any, listed: Any) -> Any:
        """One item listed under ``parent`` (types with ``within``), before :meth:`item`:
        the listed item with its parent under ``Parent``."""
        if isinstance(listed, Mapping):
            return {**listed, "Parent": parent}
        return {"Listed": listed, "Parent": parent}

    def item_id(self, raw: Mapping[str, Any]) -> str:
        """The id Terraform stores for this resource."""
        return str(raw[self.id_field])

    def tagged_arn(self, raw: Mapping[str, Any]) -> str:
        """The item's ARN as the tagging API lists it (after the describe calls)."""
        assert self.bulk_tags is not None, f"{self.tf_type} declares no bulk_tags"
        return str(raw[self.bulk_tags.arn_field])

    def is_aws_managed(self, raw: Mapping[str, Any]) -> bool:
        """True for objects AWS creates by itself; checked after the list and each describe."""
        return False

    def exists(self, raw: Mapping[str, Any]) -> bool:
        """False when, after the describe calls, there is no such Terraform resource
        (e.g. a bucket without a public access block)."""
        return True

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def arn(self, service: str, resource: str, *, region: str | None = None) -> str:
        """``arn:<partition>:<service>:<region>:<account>:<resource>``."""
        where = self.where
        zone = where.region if region is None else region
        return f"arn:{where.partition}:{service}:{zone}:{where.account}:{resource}"

    def resource(self, raw: Mapping[str, Any]) -> Resource:
        """The live :class:`~auditd.model.Resource` for one fully described item."""
        key = ResourceKey(PROVIDER, self.tf_type, self.item_id(raw), self.where.account,
                          self.key_region)
        return Resource(key=key, attrs=self.to_attrs(raw), origin=Origin.LIVE,
                        sensitive_paths=self.sensitive_paths,
                        provenance={"source": "aws", "service": self.service,
                                    "api_region": self.where.region})


_T = TypeVar("_T", bound=type[AWSType])


def aws_type(cls: _T) -> _T:
    """Class decorator: register a type; a second class for the same ``tf_type`` is a bug."""
    for name in ("tf_type", "service", "list_call"):
        if not hasattr(cls, name):
            raise TypeError(f"{cls.__name__}: declare {name}")
    if not cls.iam:
        raise TypeError(f"{cls.__name__}: declare the IAM actions it needs in `iam`")
    known = _REGISTRY.get(cls.tf_type)
    if known is not None and known is not cls:
        raise TypeError(f"{cls.tf_type} is registered twice: {known.__name__}, {cls.__name__}")
    _REGISTRY[cls.tf_type] = cls
    return cls


def _load_type_modules() -> None:
    """Import every type module of this package, so that each registers its types."""
    package = importlib.import_module("auditd.collectors.aws")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_") and info.name not in _NOT_TYPE_MODULES:
            importlib.import_module(f"auditd.collectors.aws.{info.name}")


def registered_types() -> dict[str, type[AWSType]]:
    """Every registered type by Terraform type name, sorted by name."""
    _load_type_modules()
    return dict(sorted(_REGISTRY.items()))


def get_type(tf_type: str) -> type[AWSType]:
    types = registered_types()
    if tf_type not in types:
        raise KeyError(f"no AWS collector for {tf_type!r}; known: {', '.join(types)}")
    return types[tf_type]


# --- small helpers for to_attrs ------------------------------------------------------------


def text(value: Any) -> str:
    """A string attribute as the provider stores it: ``""`` when unset."""
    return "" if value is None else str(value)


def tags_of(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS tags (a list of ``{Key, Value}`` pairs, or already a map) as Terraform's map."""
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t[key]): str(t.get(value, "")) for t in tags or ()}


def tag_arn_key(arn: str) -> str:
    """One form of an ARN for matching the tagging API's ARNs with a service's own.

    A log group's ARN ends with ``:*`` in ``DescribeLogGroups`` (not in the
    tagging API); a Lambda function's ``$LATEST`` qualifier is the function itself
    (other versions and aliases stay qualified: they are not the listed function).
    """
    arn = arn.removesuffix(":*")
    if ":lambda:" in arn and ":function:" in arn:
        arn = arn.removesuffix(":$LATEST")
    return arn


def json_text(document: Any) -> str:
    """A policy document as the JSON string Terraform stores (``""`` when there is none)."""
    if document is None or document == "":
        return ""
    return document if isinstance(document, str) else json.dumps(document)


def rfc3339(moment: Any) -> str:
    """A timestamp as the provider writes it: ``2024-05-01T12:00:00Z``."""
    if not isinstance(moment, datetime):
        return text(moment)
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")
