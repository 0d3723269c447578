"""The service model: call direction, paths, resource mapping, and the file formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditd.correlate.topology import image_repository
from auditd.errors import ConfigError
from auditd.servicemodel import load_services, parse_services
from tests.unit.correlate.builders import shop


def test_hops_follow_calls_downwards_only() -> None:
    model = shop()
    assert model.hops("web", "ledger") == 3
    assert model.hops("checkout", "checkout") == 0
    assert model.hops("ledger", "web") is None  # a callee never reaches its callers
    assert model.hops("checkout", "search") is None
    assert model.path("web", "ledger") == ("web", "checkout", "payments", "ledger")
    assert model.callers("payments") == ("checkout",)


def test_resources_map_to_services_by_every_selector() -> None:
    model = shop()
    assert model.services_for("module.checkout.aws_ecs_service.this") == ("checkout",)
    assert model.services_for("registry.example/payments:v3@sha256:ab") == ("payments",)
    assert model.services_for("aws/aws_db_instance/111111111111/eu-west-1/db-1") == ("ledger",)
    assert model.services_for("aws/aws_db_instance/222222222222/eu-west-1/db-1") == ()
    assert model.services_for("anything", {"team": "pay"}) == ("payments",)
    assert image_repository("host:5000/repo:tag") == "host:5000/repo"


TOML = """
[services.web]
calls = ["checkout"]
[services.checkout]
calls = ["payments"]
addresses = ["module.checkout.*"]
tags = { service = "checkout" }
[[dependencies]]
caller = "checkout"
callee = "inventory"
"""


def test_toml_services_file_with_edges_and_undeclared_callees(tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    path.write_text(TOML)
    loaded = load_services(path)
    assert loaded.model.hops("web", "inventory") == 2
    assert any("payments is called but not declared" in w for w in loaded.warnings)
    assert loaded.model.services_for("x", {"service": "checkout"}) == ("checkout",)


def test_yaml_json_and_csv_forms() -> None:
    yaml_text = "services:\n  web:\n    calls: [checkout]\n  checkout: {}\n"
    assert parse_services(yaml_text, "yaml").model.hops("web", "checkout") == 1
    edges = json.dumps([["web", "checkout"], {"caller": "checkout", "callee": "db"}])
    assert parse_services(edges, "json").model.hops("web", "db") == 2
    csv_text = "from,to\nweb,checkout\n,\ncheckout,db\n"
    assert parse_services(csv_text, "csv").model.hops("web", "db") == 2


@pytest.mark.parametrize(("text", "fmt", "message"), [
    ("[services", "toml", "not valid TOML"),
    ("services: [", "yaml", "not valid YAML"),
    ("a,b\n1,2\n", "csv", "caller,callee header"),
    ('{"services": {"web": {"calls": "x", "images": [1]}}}', "json", "images must be a list"),
    ('[["web"]]', "json", "edge 1"),
    ("x = 1", "ini", "unknown services format"),
])
def test_bad_services_files_say_what_is_wrong(text: str, fmt: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_services(text, fmt)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read services file"):
        load_services(tmp_path / "absent.toml")
