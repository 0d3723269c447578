"""Input variable values: declared defaults, variable files, and module call inputs.

Terraform's order, lowest to highest: a variable's ``default``, then
``terraform.tfvars``, ``terraform.tfvars.json``, then ``*.auto.tfvars`` and
``*.auto.tfvars.json`` in lexical order of file name, then ``-var-file`` files
(here: the ``var_files`` a caller names per root, in order).  Other ``*.tfvars``
files are read only when named, as Terraform does; environment variables and
``-var`` are not consulted (collection is pure of the environment).  Values are
converted to the declared ``type`` (see :func:`~.evaluate_values.convert_to_type`);
a variable without any value is unknown (``var.name``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditd.collectors.terraform.evaluate import Evaluator
from auditd.collectors.terraform.evaluate_values import Unknown, convert_to_type
from auditd.collectors.terraform.expand import Reporter
from auditd.collectors.terraform.modules import ModuleConfig, folder_of

__all__ = ["auto_var_files", "read_var_files", "sensitive_variables", "variable_values"]


def _auto_rank(name: str) -> tuple[int, str] | None:
    if name == "terraform.tfvars":
        return (0, name)
    if name == "terraform.tfvars.json":
        return (1, name)
    if name.endswith((".auto.tfvars", ".auto.tfvars.json")):
        return (2, name)
    return None


def auto_var_files(folder: str, paths: Iterable[str]) -> list[str]:
    """The variable files Terraform loads by itself for a root folder, in precedence order."""
    ranked = []
    for path in paths:
        rank = _auto_rank(posixpath.basename(path))
        if rank is not None and folder_of(path) == folder:
            ranked.append((rank, path))
    return [path for _, path in sorted(ranked)]


def read_var_files(paths: Sequence[str], docs: Mapping[str, Mapping[str, Any]],
                   reporter: Reporter) -> dict[str, Any]:
    """The values set by variable files, later files overriding earlier ones."""
    constant = Evaluator({})  # variable files hold constants: no references, no locals
    values: dict[str, Any] = {}
    for path in paths:
        doc = docs.get(path)
        if doc is None:
            continue
        for name, attr in doc["body"]["attrs"].items():
            values[name] = reporter.value(constant, attr, path)
    return values


def variable_values(config: ModuleConfig, provided: Mapping[str, Any],
                    reporter: Reporter) -> dict[str, Any]:
    """Each declared variable's value: provided, else its default, else unknown."""
    constant = Evaluator({})
    out: dict[str, Any] = {}
    for name, decl in config.variables.items():
        attrs = decl.body["attrs"]
        if name in provided:
            value = provided[name]
        elif "default" in attrs:
            value = reporter.value(constant, attrs["default"], decl.file)
        else:
            value = Unknown(f"var.{name}")
        type_attr = attrs.get("type")
        out[name] = convert_to_type(value, type_attr["expr"] if type_attr else None)
    return out


def sensitive_variables(config: ModuleConfig) -> frozenset[str]:
    """Variables declared with ``sensitive = true``."""
    names = []
    for name, decl in config.variables.items():
        attr = decl.body["attrs"].get("sensitive")
        if attr is not None and attr["expr"] == ["lit", True]:
            names.append(name)
    return frozenset(names)
