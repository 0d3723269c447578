"""Helpers of the AWS collector tests: scenarios (create a resource in moto), fixtures
(the same resource as Terraform's AWS provider stores it in state), and collection.

A *scenario* creates one resource of one type with boto3 and returns the values the
fixture's ``{{name}}`` placeholders stand for (moto makes up ids); ``{{id}}`` is the id
Terraform stores.  Each ``scenarios_*.py`` module registers its scenarios with
:func:`scenario`; :func:`all_scenarios` imports them all (the meta-test walks it).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from auditd.collectors.aws._base import get_type
from auditd.collectors.aws._session import SessionClients
from auditd.collectors.aws.collector import TypeOutcome, plan, run_tasks
from auditd.collectors.terraform.state import StateDefaults, parse_state
from auditd.model import Resource

ACCOUNT = "123456789012"
REGION = "eu-west-1"
FIXTURES = Path(__file__).resolve().parents[2] / "data" / "aws"

Scenario = Callable[[], dict[str, str]]
_SCENARIOS: dict[str, Scenario] = {}


def scenario(tf_type: str) -> Callable[[Scenario], Scenario]:
    def register(make: Scenario) -> Scenario:
        assert tf_type not in _SCENARIOS, f"two scenarios for {tf_type}"
        _SCENARIOS[tf_type] = make
        return make
    return register


def all_scenarios() -> dict[str, Scenario]:
    here = Path(__file__).parent
    for info in pkgutil.iter_modules([str(here)]):
        if info.name.startswith("scenarios_"):
            importlib.import_module(f"tests.unit.aws.{info.name}")
    return dict(sorted(_SCENARIOS.items()))


def client(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region)


def collect(tf_types: Sequence[str], regions: Sequence[str] = (REGION,), *,
            strict: bool = False, clients: Any = None) -> list[TypeOutcome]:
    """Collect some types from moto (or through ``clients``) in some regions."""
    factory = clients or SessionClients(boto3.session.Session(region_name=REGION))
    types = [get_type(t) for t in tf_types]
    return run_tasks(plan(ACCOUNT, factory, regions, types, regions[0]), strict=strict,
                     max_workers=4)


def resources(outcomes: Sequence[TypeOutcome]) -> list[Resource]:
    return [r for o in outcomes for r in o.resources]


def fixture_path(tf_type: str) -> Path:
    return FIXTURES / f"{tf_type}.json"


def state_resource(tf_type: str, values: dict[str, str]) -> Resource:
    """The fixture's one resource, placeholders filled in, read by the tfstate collector."""
    text = fixture_path(tf_type).read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    assert "{{" not in text, f"{tf_type}: unfilled placeholder in the fixture"
    read = parse_state(text.encode(), f"{tf_type}.json",
                       StateDefaults(account=ACCOUNT, region=REGION))
    found = [r for r in read.resources if r.key.tf_type == tf_type]
    assert len(found) == 1, f"{tf_type}: the fixture must hold exactly one {tf_type}"
    return found[0]


def state_document(tf_type: str, attributes: dict[str, Any]) -> str:
    """A tfstate (format 4) holding one resource: the shape of every fixture file."""
    return json.dumps({
        "version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "fixture",
        "outputs": {},
        "resources": [{"mode": "managed", "type": tf_type, "name": "this",
                       "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                       "instances": [{"schema_version": 0, "attributes": attributes,
                                      "sensitive_attributes": []}]}]}, indent=2)


class CountingClients:
    """Clients that count every operation, and answer some with an error code instead.

    ``inner``: the clients to wrap (default: a plain session in :data:`REGION`);
    ``fail``: operation name → the error code it answers with.
    """

    def __init__(self, inner: Any = None, fail: Mapping[str, str] | None = None) -> None:
        self._inner = inner or SessionClients(boto3.session.Session(region_name=REGION))
        self._hooked: set[int] = set()
        self._lock = threading.Lock()
        self.fail = dict(fail or {})
        self.calls: Counter[str] = Counter()

    def client(self, service: str, region: str) -> Any:
        made = self._inner.client(service, region)
        with self._lock:
            if id(made) not in self._hooked:
                self._hooked.add(id(made))
                made.meta.events.register("before-call", self._record)
        return made

    def _record(self, model: Any, **_kwargs: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1
        code = self.fail.get(model.name)
        if code is not None:
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, model.name)
