"""Module folders: the declarations of each folder, local module calls, and root modules.

A *module* is a folder holding ``.tf`` or ``.tf.json`` files; its files are
read in lexical order and ``override.tf`` / ``*_override.tf`` files are merged
over them afterwards (attributes replace attributes, a nested block type
replaces that block type), as Terraform does.

**Root rule.** A module folder is a root module when it declares a ``backend``
or ``cloud`` block, or when no other folder of the tree calls it as a local
module (``source = "./..."`` or ``"../..."``).  So ``envs/prod`` calling
``../../modules/net`` is a root and ``modules/net`` is not; a module
repository's top folder used by its ``examples/*`` is not a root, the examples are.
``provider`` and ``terraform { required_providers }`` blocks do not make a root:
shared modules declare them too.

Nothing here evaluates expressions; see :mod:`~auditd.collectors.terraform.declared`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Decl",
    "LazyConfigs",
    "ModuleConfig",
    "Problem",
    "build_module",
    "find_roots",
    "folder_of",
    "is_local_source",
    "is_module_file",
    "literal_string",
    "module_facts",
    "resolve_source",
]

Document = Mapping[str, Any]

MODULE_SUFFIXES = (".tf", ".tf.json")


@dataclass(frozen=True, slots=True)
class Decl:
    """One top-level block of a module (a resource, a module call, a provider...)."""

    kind: str
    labels: tuple[str, ...]
    body: Mapping[str, Any]
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Problem:
    """A configuration error Terraform would report (duplicate declaration, bad source...)."""

    file: str
    line: int
    message: str


@dataclass(slots=True)
class ModuleConfig:
    folder: str  # "." for the tree's top folder
    files: list[str] = field(default_factory=list)
    variables: dict[str, Decl] = field(default_factory=dict)
    locals: dict[str, tuple[list[Any], str, int]] = field(default_factory=dict)
    providers: list[Decl] = field(default_factory=list)
    resources: dict[str, Decl] = field(default_factory=dict)  # "type.name" -> managed resource
    module_calls: dict[str, Decl] = field(default_factory=dict)
    moved: list[Decl] = field(default_factory=list)
    has_backend: bool = False
    problems: list[Problem] = field(default_factory=list)


def folder_of(path: str) -> str:
    return posixpath.dirname(path) or "."


def is_module_file(path: str) -> bool:
    return path.endswith(MODULE_SUFFIXES)


def _is_override(path: str) -> bool:
    name = posixpath.basename(path)
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def build_module(folder: str, paths: Sequence[str],
                 doc: Callable[[str], Document | None]) -> ModuleConfig:
    """The module of one folder from its ``.tf``/``.tf.json`` documents (None: unusable file)."""
    paths = sorted(paths)
    config = ModuleConfig(folder=folder, files=list(paths))
    for path in (p for p in paths if not _is_override(p)):
        document = doc(path)
        if document is not None:
            _add_file(config, path, document)
    for path in (p for p in paths if _is_override(p)):
        document = doc(path)
        if document is not None:
            _override_file(config, path, document)
    return config


class LazyConfigs(Mapping[str, ModuleConfig]):
    """Module configurations built on first use, folder by folder."""

    def __init__(self, paths_by_folder: Mapping[str, Sequence[str]],
                 doc: Callable[[str], Document | None]) -> None:
        self._paths = paths_by_folder
        self._doc = doc
        self._built: dict[str, ModuleConfig] = {}

    def __getitem__(self, folder: str) -> ModuleConfig:
        if folder not in self._built:
            if folder not in self._paths:
                raise KeyError(folder)
            self._built[folder] = build_module(folder, self._paths[folder], self._doc)
        return self._built[folder]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def _add_file(config: ModuleConfig, path: str, doc: Mapping[str, Any]) -> None:
    for block in doc["body"]["blocks"]:
        decl = Decl(block["type"], tuple(block["labels"]), block["body"], path, block["line"])
        _add_decl(config, decl)


def _add_decl(config: ModuleConfig, decl: Decl) -> None:
    kind, labels = decl.kind, decl.labels
    if kind == "resource" and len(labels) == 2:
        _unique(config, config.resources, f"{labels[0]}.{labels[1]}", decl, "resource")
    elif kind == "module" and len(labels) == 1:
        _unique(config, config.module_calls, labels[0], decl, "module call")
    elif kind == "variable" and len(labels) == 1:
        _unique(config, config.variables, labels[0], decl, "variable")
    elif kind == "provider" and len(labels) == 1:
        config.providers.append(decl)
    elif kind == "locals":
        _add_locals(config, decl)
    elif kind == "moved":
        config.moved.append(decl)
    elif kind == "terraform":
        config.has_backend |= any(b["type"] in ("backend", "cloud") for b in decl.body["blocks"])


def _unique(config: ModuleConfig, table: dict[str, Decl], name: str, decl: Decl,
            what: str) -> None:
    first = table.get(name)
    if first is None:
        table[name] = decl
        return
    config.problems.append(Problem(decl.file, decl.line, f"duplicate {what} {name!r} (first "
                                   f"declared at {first.file}:{first.line}); the first is used"))


def _add_locals(config: ModuleConfig, decl: Decl) -> None:
    for name, attr in decl.body["attrs"].items():
        if name in config.locals:
            _, file, line = config.locals[name]
            config.problems.append(Problem(decl.file, attr["line"], f"duplicate local value "
                                           f"{name!r} (first declared at {file}:{line})"))
            continue
        config.locals[name] = (attr["expr"], decl.file, attr["line"])


def _override_file(config: ModuleConfig, path: str, doc: Mapping[str, Any]) -> None:
    for block in doc["body"]["blocks"]:
        decl = Decl(block["type"], tuple(block["labels"]), block["body"], path, block["line"])
        if decl.kind == "locals":
            for name, attr in decl.body["attrs"].items():
                config.locals[name] = (attr["expr"], path, attr["line"])
            continue
        table = {"resource": config.resources, "module": config.module_calls,
                 "variable": config.variables}.get(decl.kind)
        name = ".".join(decl.labels)
        if table is not None and name in table:
            original = table[name]
            table[name] = Decl(original.kind, original.labels,
                               merge_bodies(original.body, decl.body), original.file,
                               original.line)
        elif decl.kind not in ("terraform", "provider"):
            config.problems.append(Problem(path, decl.line, f"override of {decl.kind} {name!r} "
                                           "matches no declaration in the module"))


def merge_bodies(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Terraform's override merge: attributes replace attributes, block types replace blocks."""
    replaced = {b["type"] for b in override["blocks"]}
    blocks = [b for b in base["blocks"] if b["type"] not in replaced] + list(override["blocks"])
    return {"attrs": {**base["attrs"], **override["attrs"]}, "blocks": blocks}


def literal_string(body: Mapping[str, Any], name: str) -> str | None:
    """The value of an attribute that must be a literal string (``source``), else None."""
    attr = body["attrs"].get(name)
    if attr is None or attr["expr"][0] != "lit" or not isinstance(attr["expr"][1], str):
        return None
    return str(attr["expr"][1])


def is_local_source(source: str) -> bool:
    return source.startswith(("./", "../")) or source in (".", "..")


def resolve_source(folder: str, source: str) -> str | None:
    """The tree folder a local source names, or None when it leaves the tree."""
    joined = posixpath.normpath(posixpath.join("" if folder == "." else folder, source))
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


def _called_folders(config: ModuleConfig) -> Iterable[str]:
    for call in config.module_calls.values():
        source = literal_string(call.body, "source")
        if source is not None and is_local_source(source):
            target = resolve_source(config.folder, source)
            if target is not None and target != config.folder:
                yield target


def module_facts(config: ModuleConfig) -> list[Any]:
    """What root discovery needs of a folder: ``[has_backend, [called folders]]``."""
    return [config.has_backend, sorted(set(_called_folders(config)))]


def find_roots(facts: Mapping[str, Sequence[Any]]) -> list[str]:
    """The root module folders, sorted (see the module docstring for the rule)."""
    called = {target for fact in facts.values() for target in fact[1]}
    return sorted(folder for folder, fact in facts.items() if fact[0] or folder not in called)
