"""Image references: parsing ``registry/repository:tag`` (or ``@digest``), and finding them.

:func:`parse_ref` follows the reference grammar container tools use: the first
path component is a registry host when it holds a ``.`` or a ``:`` or is
``localhost``; otherwise the image is on Docker Hub (``docker.io``, official
images under ``library/``).  No tag and no digest means ``latest``.

:func:`refs_in_attrs` finds image references in stored resource attributes: an
ECS task definition's ``container_definitions`` (a JSON string or a parsed list),
a Lambda function's ``image_uri``, and any attribute named ``image`` at any depth
(Kubernetes containers, ``docker_container``, Terraform-declared values).  Values
Terraform could not know statically (``${...}``, unknown markers) are skipped.

Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DOCKER_HUB", "ImageRef", "RefError", "api_host", "is_ecr_host", "parse_ref",
           "refs_in_attrs"]

DOCKER_HUB = "docker.io"
_HUB_API = "registry-1.docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$")
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+(?::[0-9]{1,5})?$"
                   r"|^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$")
_ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
_IMAGE_ATTRS = frozenset({"image", "image_uri"})
_MAX_REF = 512


class RefError(ValueError):
    """A text that is not an image reference."""


@dataclass(frozen=True, slots=True, order=True)
class ImageRef:
    """``registry/repository:tag`` or ``registry/repository@digest``.

    ``registry`` is as written (``docker.io`` for Docker Hub); :func:`api_host`
    gives the host to talk to.  ``digest`` set means a pinned reference: the
    tag, if any, is informational.
    """

    registry: str
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def reference(self) -> str:
        """What goes after ``/manifests/``: the digest when pinned, else the tag."""
        return self.digest or self.tag

    @property
    def key_id(self) -> str:
        """The resource id: ``registry/repo:tag`` or ``registry/repo@digest``."""
        if self.digest:
            return f"{self.registry}/{self.repository}@{self.digest}"
        return f"{self.registry}/{self.repository}:{self.tag}"

    def __str__(self) -> str:
        return self.key_id


def parse_ref(text: str) -> ImageRef:
    """Parse an image reference; :class:`RefError` says what is wrong with it."""
    value = text.strip()
    if not value or len(value) > _MAX_REF or any(c.isspace() for c in value):
        raise RefError(f"not an image reference: {text!r}; expected registry/repository:tag, "
                       "e.g. ghcr.io/acme/api:1.4 or nginx:1.25")
    name, digest = _split_digest(value, text)
    registry, path = _split_registry(name)
    repository, tag = _split_tag(path, text)
    if registry in _HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in repository:
            repository = f"library/{repository}"
    for part in repository.split("/"):
        if not _COMPONENT.match(part):
            raise RefError(f"{text!r}: repository part {part!r} is not a valid name "
                           "(lower-case letters, digits and . _ - separators)")
    return ImageRef(registry=registry, repository=repository,
                    tag=tag or ("" if digest else "latest"), digest=digest)


def _split_digest(value: str, text: str) -> tuple[str, str]:
    if "@" not in value:
        return value, ""
    name, digest = value.split("@", 1)
    if not _DIGEST.match(digest):
        raise RefError(f"{text!r}: {digest!r} is not a digest (sha256:<64 hex>)")
    return name, digest


def _split_registry(name: str) -> tuple[str, str]:
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        if not _HOST.match(first):
            raise RefError(f"{name!r}: {first!r} is not a registry host")
        return first.lower(), rest
    return DOCKER_HUB, name


def _split_tag(path: str, text: str) -> tuple[str, str]:
    head, _, last = path.rpartition("/")
    if ":" not in last:
        return path, ""
    last, tag = last.split(":", 1)
    if not _TAG.match(tag):
        raise RefError(f"{text!r}: {tag!r} is not a valid tag")
    return (f"{head}/{last}" if head else last), tag


def api_host(registry: str) -> str:
    """The host serving the distribution API for ``registry`` (Docker Hub's differs)."""
    return _HUB_API if registry == DOCKER_HUB else registry


def is_ecr_host(registry: str) -> tuple[str, str] | None:
    """``(account, region)`` of an Amazon ECR private registry host, else None."""
    found = _ECR_HOST.match(registry)
    return (found.group(1), found.group(2)) if found else None


def refs_in_attrs(tf_type: str, attrs: Mapping[str, Any]) -> Iterator[str]:
    """Every image reference text in one resource's attributes (may repeat)."""
    if tf_type == "aws_ecs_task_definition":
        yield from _container_images(attrs.get("container_definitions"))
    yield from _image_values(attrs, depth=0)


def _container_images(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return
    if isinstance(value, list):
        for container in value:
            if isinstance(container, Mapping) and _usable(container.get("image")):
                yield str(container["image"])


def _image_values(value: Any, depth: int) -> Iterator[str]:
    if depth > 12:
        return
    if isinstance(value, Mapping):
        for name, item in value.items():
            if name in _IMAGE_ATTRS and _usable(item):
                yield str(item)
            elif isinstance(item, Mapping | list):
                yield from _image_values(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _image_values(item, depth + 1)


def _usable(value: Any) -> bool:
    """A plain string that may be a reference (not interpolated, not an unknown marker)."""
    return isinstance(value, str) and bool(value) and "${" not in value \
        and not value.startswith(("secret:", "$"))
