"""Tags in bulk: ``tag:GetResources`` replaces per-item tag calls, and falls back to them.

The types declaring ``bulk_tags`` read their tags from one paginated
``GetResources`` per (account, region, filter); when the tagging API is denied
they make their own per-item tag call, with the same result; when both fail the
type's part is incomplete, as any failure of its calls.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest

from auditd.collectors.aws._base import registered_types, tag_arn_key
from auditd.collectors.aws._session import SessionClients
from auditd.collectors.aws._tag_index import TAGGING_SERVICE
from tests.unit.aws.faulty import FaultyClients
from tests.unit.aws.support import REGION, CountingClients, all_scenarios, collect, resources

BULK = sorted(t for t, cls in registered_types().items() if cls.bulk_tags is not None)
FALLBACK_CALLS = {cls.bulk_tags.fallback.operation for cls in registered_types().values()
                  if cls.bulk_tags is not None}


@pytest.fixture
def tagged(mocked: None) -> None:
    scenarios = all_scenarios()
    for tf_type in BULK:
        scenarios[tf_type]()


def _tags_by_type(outcomes: Any) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for resource in resources(outcomes):
        found.setdefault(resource.key.tf_type, []).append(resource.attrs["tags_all"])
    return found


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def test_the_bulk_types_are_the_ones_moto_can_serve() -> None:
    assert BULK == ["aws_cloudwatch_log_group", "aws_dynamodb_table", "aws_kms_key",
                    "aws_lambda_function", "aws_sns_topic", "aws_sqs_queue"]
    assert all("tag:GetResources" in registered_types()[t].iam for t in BULK)


def test_tags_come_from_get_resources_without_per_item_calls(tagged: None) -> None:
    clients = CountingClients()
    outcomes = collect(BULK, clients=clients)
    assert [o.error for o in outcomes] == [None] * len(BULK)
    tags = _tags_by_type(outcomes)
    assert tags["aws_sqs_queue"] == [{}, {"team": "shop"}]  # the DLQ has no tags
    assert tags["aws_cloudwatch_log_group"] == [{"team": "web"}]
    assert tags["aws_lambda_function"] == [{"team": "media"}]
    assert tags["aws_kms_key"] == [{"team": "app"}]
    assert clients.calls["GetResources"] == len(BULK)  # one page each
    assert not {c for c in clients.calls if _snake(c) in FALLBACK_CALLS}


def test_denied_tagging_api_falls_back_to_per_item_calls(tagged: None) -> None:
    expected = _tags_by_type(collect(BULK))
    faulty = FaultyClients(deny=frozenset({(TAGGING_SERVICE, REGION)}))
    clients = CountingClients(faulty)
    outcomes = collect(BULK, clients=clients)
    assert [o.error for o in outcomes] == [None] * len(BULK)
    assert _tags_by_type(outcomes) == expected
    assert {_snake(c) for c in clients.calls} >= FALLBACK_CALLS


def test_both_tag_reads_failing_is_the_types_fault(tagged: None) -> None:
    faulty = FaultyClients(deny=frozenset({(TAGGING_SERVICE, REGION)}))
    clients = CountingClients(faulty, fail={"ListQueueTags": "AccessDenied"})
    outcomes = {o.tf_type: o for o in collect(["aws_sqs_queue", "aws_sns_topic"],
                                               clients=clients)}
    error = outcomes["aws_sqs_queue"].error
    assert error is not None and error.kind == "access-denied"
    assert outcomes["aws_sns_topic"].error is None


def test_nothing_listed_fetches_no_tags(mocked: None) -> None:
    clients = CountingClients()
    outcomes = collect(BULK, clients=clients)
    assert resources(outcomes) == [] and clients.calls["GetResources"] == 0


@pytest.mark.parametrize(("arn", "key"), [
    ("logs:eu-west-1:1:log-group:/app/web:*", "logs:eu-west-1:1:log-group:/app/web"),
    ("lambda:eu-west-1:1:function:resize:$LATEST", "lambda:eu-west-1:1:function:resize"),
    ("lambda:eu-west-1:1:function:resize:live", "lambda:eu-west-1:1:function:resize:live"),
    ("sqs:eu-west-1:1:orders", "sqs:eu-west-1:1:orders"),
])
def test_arn_forms_meet(arn: str, key: str) -> None:
    assert tag_arn_key(f"arn:aws:{arn}") == f"arn:aws:{key}"


def test_session_clients_make_each_key_once_across_threads(aws_credentials: None) -> None:
    factory = SessionClients(boto3.session.Session(region_name=REGION))
    keys = [("sqs", REGION), ("sns", REGION), ("sqs", "eu-north-1"), ("logs", REGION)] * 4
    made: list[tuple[tuple[str, str], Any]] = []
    barrier = threading.Barrier(len(keys))

    def ask(key: tuple[str, str]) -> None:
        barrier.wait()
        made.append((key, factory.client(*key)))

    threads = [threading.Thread(target=ask, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_key: dict[tuple[str, str], set[int]] = {}
    for key, one in made:
        by_key.setdefault(key, set()).add(id(one))
    assert {k: len(v) for k, v in by_key.items()} == dict.fromkeys(set(keys), 1)
