"""Evaluating declaration bodies: attribute values, nested and ``dynamic`` blocks, instances.

- :class:`Reporter` evaluates one attribute; an expression Terraform would
  reject becomes an unknown plus a warning (``path:line: message``).
- :func:`body_values` gives a body's attributes as Terraform's state shows them:
  nested blocks become lists of objects (``ingress`` blocks -> ``ingress: [...]``),
  ``dynamic`` blocks are expanded when their ``for_each`` is known and are an
  unknown otherwise; meta-arguments (``count``, ``for_each``, ``provider``,
  ``depends_on``, ``lifecycle``, ``provisioner``, ``connection``) are left out.
- :func:`instances` expands ``count``/``for_each`` into address suffixes
  (``[0]``, ``["a"]``).  When they are unknown there is ONE instance with the
  suffix ``[*]`` whose ``count.index``/``each.*`` are unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditd.collectors.terraform.evaluate import Evaluator, pairs
from auditd.collectors.terraform.evaluate_values import EvalError, Unknown, has_unknown, is_number
from auditd.collectors.terraform.hcl_print import render
from auditd.collectors.terraform.modules import Problem
from auditd.collectors.terraform.state_instances import format_index_key

__all__ = ["UNKNOWN_SUFFIX", "Reporter", "body_values", "instance_suffix", "instances"]

UNKNOWN_SUFFIX = "[*]"
META_ATTRS = frozenset({"count", "for_each", "provider", "depends_on"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
Instance = tuple[str, dict[str, Any]]


@dataclass(slots=True)
class Reporter:
    """Evaluates attributes, collecting what could not be evaluated as warnings."""

    warnings: list[Problem] = field(default_factory=list)

    def value(self, evaluator: Evaluator, attr: Mapping[str, Any], file: str) -> Any:
        return self.node(evaluator, attr["expr"], file, int(attr["line"]))

    def node(self, evaluator: Evaluator, node: list[Any], file: str, line: int) -> Any:
        try:
            return evaluator.eval(node)
        except EvalError as exc:
            self.warnings.append(Problem(file, line, f"cannot evaluate {render(node)}: {exc}; "
                                                     "kept as unknown"))
        except RecursionError:
            self.warnings.append(Problem(file, line, "expression nested too deeply to "
                                                     "evaluate; kept as unknown"))
        except Exception as exc:  # a bug here must cost one value, never the collection
            self.warnings.append(Problem(file, line, f"internal error evaluating "
                                                     f"{render(node)}: {exc!r}; kept as unknown"))
        return Unknown(render(node))


def body_values(body: Mapping[str, Any], evaluator: Evaluator, reporter: Reporter, file: str,
                *, top: bool = False) -> dict[str, Any]:
    """A body's values: attributes, then nested blocks as lists of objects."""
    out: dict[str, Any] = {}
    for name, attr in body["attrs"].items():
        if not (top and name in META_ATTRS):
            out[name] = reporter.value(evaluator, attr, file)
    for block in body["blocks"]:
        kind = block["type"]
        if top and kind in META_BLOCKS:
            continue
        if kind == "dynamic" and block["labels"]:
            _extend(out, block["labels"][0], _dynamic(block, evaluator, reporter, file))
        else:
            _extend(out, kind, [body_values(block["body"], evaluator, reporter, file)])
    return out


def _extend(out: dict[str, Any], name: str, items: list[Any] | Unknown) -> None:
    current = out.get(name)
    if isinstance(current, Unknown):
        return
    if isinstance(items, Unknown) or not isinstance(current, list):
        out[name] = items if isinstance(items, Unknown) else list(items)
    else:
        current.extend(items)


def _iterator_name(attr: Mapping[str, Any] | None, default: str) -> str:
    if attr is None:
        return default
    node = attr["expr"]
    return str(node[1]) if node[0] in ("name", "lit") else render(node)


def _dynamic(block: Mapping[str, Any], evaluator: Evaluator, reporter: Reporter,
             file: str) -> list[Any] | Unknown:
    attrs = block["body"]["attrs"]
    content = next((b for b in block["body"]["blocks"] if b["type"] == "content"), None)
    if "for_each" not in attrs or content is None:
        reporter.warnings.append(Problem(file, block["line"], "dynamic block without for_each "
                                                              "or content; ignored"))
        return []
    collection = reporter.value(evaluator, attrs["for_each"], file)
    if isinstance(collection, Unknown):
        return collection
    iterator = _iterator_name(attrs.get("iterator"), block["labels"][0])
    try:
        items = list(pairs(collection))
    except EvalError as exc:
        reporter.warnings.append(Problem(file, block["line"], f"dynamic block: {exc}"))
        return Unknown(render(attrs["for_each"]["expr"]))
    return [body_values(content["body"],
                        evaluator.with_names({iterator: {"key": key, "value": value}}),
                        reporter, file)
            for key, value in items]


def instance_suffix(key: int | str) -> str:
    """``[0]`` or ``["a"]``, quoted exactly as the tfstate collector writes addresses."""
    return format_index_key(key)


def instances(body: Mapping[str, Any], evaluator: Evaluator, reporter: Reporter,
              file: str) -> tuple[list[Instance], bool]:
    """The instances of a resource or module call, and whether the expansion is unknown."""
    attrs = body["attrs"]
    if "count" in attrs:
        count = _count(reporter.value(evaluator, attrs["count"], file), reporter, file,
                       attrs["count"]["line"])
        if count is None:
            return [(UNKNOWN_SUFFIX, {"count": {"index": Unknown("count.index")}})], True
        return [(instance_suffix(i), {"count": {"index": i}}) for i in range(count)], False
    if "for_each" in attrs:
        items = _for_each(reporter.value(evaluator, attrs["for_each"], file), reporter, file,
                          attrs["for_each"]["line"])
        if items is None:
            each = {"key": Unknown("each.key"), "value": Unknown("each.value")}
            return [(UNKNOWN_SUFFIX, {"each": each})], True
        return [(instance_suffix(k), {"each": {"key": k, "value": v}}) for k, v in items], False
    return [("", {})], False


def _count(value: Any, reporter: Reporter, file: str, line: int) -> int | None:
    if isinstance(value, Unknown):
        return None
    if is_number(value) and float(value).is_integer() and value >= 0:
        return int(value)
    reporter.warnings.append(Problem(file, line, f"count must be a whole number >= 0, found "
                                                 f"{value!r}; expansion kept unknown"))
    return None


def _for_each(value: Any, reporter: Reporter, file: str,
              line: int) -> list[tuple[str, Any]] | None:
    if isinstance(value, Unknown):
        return None
    if isinstance(value, dict):
        return sorted(value.items())
    if isinstance(value, list) and not has_unknown(value) and all(isinstance(v, str)
                                                                   for v in value):
        return [(v, v) for v in sorted(set(value))]
    if isinstance(value, list) and has_unknown(value):
        return None
    reporter.warnings.append(Problem(file, line, "for_each must be a map or a set of strings; "
                                                 "expansion kept unknown"))
    return None
