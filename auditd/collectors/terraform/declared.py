"""One root module evaluated into declared resources, keyed by Terraform address.

The walk starts at the root folder with its variable values, enters every
local module call (once per ``count``/``for_each`` instance, with the inputs
evaluated in the caller), and emits for each managed resource instance a
:class:`~auditd.model.Resource`:

- ``key = (type prefix, type, address, provider account, provider region)``;
- ``attrs`` as Terraform's state shows them, unknowns as ``unknown(...)`` markers,
  and ``tags_all = merge(default_tags, tags)`` when the provider has default tags
  and the resource sets ``tags``;
- ``provenance``: ``file``, ``line``, ``module`` (instance path), ``module_source``,
  ``module_folder``, ``provider``, and when they apply ``expansion_unknown``,
  ``default_tags``, ``ignore_changes`` and ``stale`` (from a file's last good parse).

Module calls with a non-local source and the lock file become pins (see
:mod:`~auditd.collectors.terraform.locks`); ``moved`` blocks are returned with
full addresses.  Data sources are not resources here: references to them are unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from auditd.collectors.terraform.evaluate import Evaluator, LazyValues
from auditd.collectors.terraform.evaluate_values import Unknown, to_output
from auditd.collectors.terraform.expand import Reporter, body_values, instances
from auditd.collectors.terraform.hcl_print import render
from auditd.collectors.terraform.locks import lock_resources, module_pin
from auditd.collectors.terraform.modules import (
    Decl,
    ModuleConfig,
    Problem,
    is_local_source,
    literal_string,
    resolve_source,
)
from auditd.collectors.terraform.providers import (
    ProviderConfig,
    child_providers,
    module_providers,
    provider_ref,
)
from auditd.collectors.terraform.variables import sensitive_variables, variable_values
from auditd.model import Origin, Resource, ResourceKey

__all__ = ["MovedBlock", "RootResult", "evaluate_root"]

MAX_MODULE_DEPTH = 32
MODULE_META = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


@dataclass(frozen=True, slots=True)
class MovedBlock:
    """A ``moved`` block with full addresses, so history can follow a rename."""

    from_address: str
    to_address: str
    file: str
    line: int


@dataclass(slots=True)
class RootResult:
    resources: list[Resource] = field(default_factory=list)
    moved: list[MovedBlock] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)  # make the snapshot incomplete
    warnings: list[Problem] = field(default_factory=list)
    folders: set[str] = field(default_factory=set)  # module folders the root uses


@dataclass(frozen=True, slots=True)
class _Frame:
    """One module instance being walked."""

    config: ModuleConfig
    prefix: str  # "" or "module.net[0]."
    static_path: str  # "" or "module.net."
    source: str
    evaluator: Evaluator
    providers: Mapping[str, ProviderConfig]
    chain: tuple[str, ...]
    expansion_unknown: bool


def evaluate_root(root: str, configs: Mapping[str, ModuleConfig], provided: Mapping[str, Any],
                  *, lock: tuple[str, Mapping[str, Any]] | None = None,
                  stale_files: Set[str] = frozenset(),
                  reporter: Reporter | None = None) -> RootResult:
    """Declared resources of the root module in folder ``root``."""
    walker = _Walker(configs, stale_files, reporter or Reporter())
    walker.enter(configs[root], prefix="", static="", source=".", provided=provided,
                 inherited={}, chain=(), unknown=False)
    result = walker.result
    result.resources.extend(walker.pins.values())
    if lock is not None:
        result.resources.extend(lock_resources(lock[0], lock[1], walker.reporter))
    result.warnings.extend(walker.reporter.warnings)
    return result


class _Walker:
    def __init__(self, configs: Mapping[str, ModuleConfig], stale_files: Set[str],
                 reporter: Reporter) -> None:
        self.configs = configs
        self.stale = stale_files
        self.reporter = reporter
        self.result = RootResult()
        self.pins: dict[str, Resource] = {}
        self._seen: set[ResourceKey] = set()

    def enter(self, config: ModuleConfig, *, prefix: str, static: str, source: str,
              provided: Mapping[str, Any], inherited: Mapping[str, ProviderConfig],
              chain: tuple[str, ...], unknown: bool) -> None:
        if config.folder not in self.result.folders:
            self.result.folders.add(config.folder)
            self.result.errors.extend(config.problems)
        evaluator = self._evaluator(config, provided)
        providers = module_providers(config.providers, evaluator, self.reporter, inherited)
        frame = _Frame(config, prefix, static, source, evaluator, providers,
                       (*chain, config.folder), unknown)
        sensitive = sensitive_variables(config)
        for decl in config.resources.values():
            self._resource(frame, decl, sensitive)
        for decl in config.moved:
            self._moved(frame, decl)
        for name, call in config.module_calls.items():
            self._call(frame, name, call)

    def _evaluator(self, config: ModuleConfig, provided: Mapping[str, Any]) -> Evaluator:
        evaluator = Evaluator({"var": variable_values(config, provided, self.reporter)})
        where = {name: (file, line) for name, (_, file, line) in config.locals.items()}

        def compute(name: str, node: list[Any]) -> Any:
            return self.reporter.node(evaluator, node, *where[name])

        nodes = {name: node for name, (node, _, _) in config.locals.items()}
        evaluator.names["local"] = LazyValues("local", nodes, compute)
        return evaluator

    def _resource(self, frame: _Frame, decl: Decl, sensitive: frozenset[str]) -> None:
        tf_type, name = decl.labels
        suffixes, unknown = instances(decl.body, frame.evaluator, self.reporter, decl.file)
        ref = provider_ref(tf_type, decl.body)
        provider = frame.providers.get(ref) or ProviderConfig(name=ref.split(".", 1)[0])
        secret = tuple(sorted(n for n, a in decl.body["attrs"].items()
                              if _mentions_variable(a["expr"], sensitive)))
        provenance = self._provenance(frame, decl, provider, ref, unknown)
        for suffix, names in suffixes:
            address = f"{frame.prefix}{tf_type}.{name}{suffix}"
            values = body_values(decl.body, frame.evaluator.with_names(names), self.reporter,
                                 decl.file, top=True)
            _add_tags_all(values, provider.default_tags)
            try:
                key = ResourceKey(tf_type.split("_", 1)[0], tf_type, address, provider.account,
                                  provider.region)
            except ValueError as exc:
                self.result.errors.append(Problem(decl.file, decl.line, str(exc)))
                continue
            self._add(Resource(key=key, attrs=to_output(values), origin=Origin.DECLARED,
                               address=address, sensitive_paths=secret,
                               provenance=provenance), decl)

    def _provenance(self, frame: _Frame, decl: Decl, provider: ProviderConfig, ref: str,
                    unknown: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"file": decl.file, "line": decl.line,
                               "module": frame.prefix.removesuffix("."),
                               "module_source": frame.source,
                               "module_folder": frame.config.folder, "provider": ref}
        if unknown or frame.expansion_unknown:
            out["expansion_unknown"] = True
        if provider.default_tags is not None:
            out["default_tags"] = to_output(provider.default_tags)
        ignored = _ignore_changes(decl.body)
        if ignored:
            out["ignore_changes"] = ignored
        if decl.file in self.stale:
            out["stale"] = True
        return out

    def _add(self, resource: Resource, decl: Decl) -> None:
        if resource.key in self._seen:
            self.result.errors.append(Problem(decl.file, decl.line, f"{resource.address} is "
                                              "declared twice; the first is used"))
            return
        self._seen.add(resource.key)
        self.result.resources.append(resource)

    def _moved(self, frame: _Frame, decl: Decl) -> None:
        attrs = decl.body["attrs"]
        if "from" in attrs and "to" in attrs:
            self.result.moved.append(MovedBlock(frame.prefix + render(attrs["from"]["expr"]),
                                                frame.prefix + render(attrs["to"]["expr"]),
                                                decl.file, decl.line))

    def _call(self, frame: _Frame, name: str, call: Decl) -> None:
        source = literal_string(call.body, "source")
        static = f"{frame.static_path}module.{name}"
        if source is None:
            self._error(call, f"module {name!r}: source must be a literal string")
        elif not is_local_source(source):
            self._pin(static, source, call, frame)
        else:
            folder = resolve_source(frame.config.folder, source)
            child = self.configs.get(folder) if folder is not None else None
            if child is None:
                if folder is not None:
                    self.result.folders.add(folder)  # files added there later must count
                self._error(call, f"module {name!r}: local source {source!r} holds no .tf "
                                  "files in this tree; its resources are unknown")
            elif child.folder in frame.chain or len(frame.chain) >= MAX_MODULE_DEPTH:
                self._error(call, f"module {name!r}: {source!r} calls itself (recursion)")
            else:
                self._instances(frame, name, call, child, (source, static))

    def _instances(self, frame: _Frame, name: str, call: Decl, child: ModuleConfig,
                   where: tuple[str, str]) -> None:
        source, static = where
        suffixes, unknown = instances(call.body, frame.evaluator, self.reporter, call.file)
        providers = child_providers(frame.providers, call.body)
        for suffix, names in suffixes:
            evaluator = frame.evaluator.with_names(names)
            inputs = {key: self.reporter.value(evaluator, attr, call.file)
                      for key, attr in call.body["attrs"].items() if key not in MODULE_META}
            self.enter(child, prefix=f"{frame.prefix}module.{name}{suffix}.",
                       static=static + ".", source=source, provided=inputs,
                       inherited=providers, chain=frame.chain,
                       unknown=frame.expansion_unknown or unknown)

    def _pin(self, static: str, source: str, call: Decl, frame: _Frame) -> None:
        if static in self.pins:
            return
        attr = call.body["attrs"].get("version")
        version = None if attr is None else self.reporter.value(frame.evaluator, attr, call.file)
        self.pins[static] = module_pin(static, source, version, call.file, call.line)

    def _error(self, decl: Decl, message: str) -> None:
        self.result.errors.append(Problem(decl.file, decl.line, message))


def _add_tags_all(values: dict[str, Any], default_tags: Any) -> None:
    """Terraform's ``tags_all``: the provider's default tags overlaid by the resource's tags."""
    if default_tags is None or "tags" not in values:
        return
    tags = values["tags"]
    if isinstance(default_tags, Unknown) or isinstance(tags, Unknown):
        values["tags_all"] = Unknown("merge(default_tags, tags)")
    elif tags is None:
        values["tags_all"] = dict(default_tags)
    elif isinstance(tags, dict):
        values["tags_all"] = {**default_tags, **tags}


def _ignore_changes(body: Mapping[str, Any]) -> list[str] | str:
    lifecycle = next((b for b in body["blocks"] if b["type"] == "lifecycle"), None)
    attr = lifecycle["body"]["attrs"].get("ignore_changes") if lifecycle else None
    if attr is None:
        return []
    node = attr["expr"]
    if node[0] == "tuple":
        return [str(n[1]) if n[0] == "lit" else render(n) for n in node[1]]
    return "all" if node in (["name", "all"], ["lit", "all"]) else [render(node)]


def _mentions_variable(node: Any, names: frozenset[str]) -> bool:
    """True when an expression reads one of the variables ``names`` directly."""
    stack = [node] if names else []
    while stack:
        item = stack.pop()
        if (len(item) == 3 and item[0] == "trav" and item[1] == ["name", "var"] and item[2]
                and item[2][0][0] == "a" and item[2][0][1] in names):
            return True
        stack.extend(child for child in item if isinstance(child, list))
    return False
