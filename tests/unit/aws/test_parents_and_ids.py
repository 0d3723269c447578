"""The six later types beyond their round trip: listing per parent, AWS-managed children,
import-id keys against state files as Terraform writes them, and the AWS default bucket
encryption's provenance through the store into drift."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from auditd.collectors.aws._base import Location
from auditd.collectors.aws._session import SessionClients
from auditd.collectors.aws.collector import to_snapshot
from auditd.collectors.aws.elbv2 import Listener
from auditd.collectors.terraform.state import StateDefaults, parse_state
from auditd.diff.drift import compute_drift
from auditd.diff.drift_inputs import DriftInput, Stack
from auditd.model import DriftKind, Resource
from auditd.normalize import HmacFingerprinter, normalize_resource
from auditd.service.drift import to_resource
from auditd.store import Store
from tests.unit.aws.scenarios_containers import ecs_service, ecs_task_definition
from tests.unit.aws.scenarios_dns import make_zone, upsert
from tests.unit.aws.scenarios_iam import make_role, policy
from tests.unit.aws.scenarios_load_balancing import listener
from tests.unit.aws.scenarios_storage import bucket_encryption, make_bucket
from tests.unit.aws.support import ACCOUNT, REGION, client, collect, resources, state_document

T0 = datetime(2026, 11, 1, tzinfo=UTC)
FP = HmacFingerprinter(b"k" * 32)
SSE = "aws_s3_bucket_server_side_encryption_configuration"
ATTACHMENT = "aws_iam_role_policy_attachment"


def _ids(tf_type: str, *, strict: bool = False) -> set[str]:
    outcomes = collect([tf_type], strict=strict)
    assert [o.error for o in outcomes if o.error] == []
    return {r.key.id for r in resources(outcomes)}


def _state(tf_type: str, *instances: dict[str, object]) -> list[Resource]:
    document = json.loads(state_document(tf_type, {}))
    document["resources"][0]["instances"] = [
        {"schema_version": 0, "attributes": a, "sensitive_attributes": []} for a in instances]
    read = parse_state(json.dumps(document).encode(), "terraform.tfstate",
                       StateDefaults(account=ACCOUNT, region=REGION))
    return [normalize_resource(r, FP) for r in read.resources]


def _drift(live: list[Resource], applied: list[Resource]) -> list[tuple[DriftKind, str]]:
    inp = DriftInput(live=[normalize_resource(r, FP) for r in live],
                     stacks=[Stack("prod", applied)], observed_at=T0,
                     live_authoritative=lambda _key: True)
    return sorted((d.finding.kind, d.finding.key.id) for d in compute_drift(inp).drifts)


def test_a_role_policy_attachment_with_terraforms_random_id_matches_live(mocked: None) -> None:
    make_role()
    arn = policy()["id"]
    client("iam").attach_role_policy(RoleName="app-runner", PolicyArn=arn)
    live = resources(collect([ATTACHMENT]))
    applied = _state(ATTACHMENT, {"id": "app-runner-20241105093012345600000001",
                                  "role": "app-runner", "policy_arn": arn})
    assert [r.key for r in applied] == [r.key for r in live]
    assert applied[0].key.id == f"app-runner/{arn}"
    assert applied[0].provenance["id_source"] == "import-id"
    assert _drift(live, applied) == []
    client("iam").detach_role_policy(RoleName="app-runner", PolicyArn=arn)
    assert _drift(resources(collect([ATTACHMENT])), applied) == [
        (DriftKind.MISSING, f"app-runner/{arn}")]


def test_attachments_of_service_linked_roles_are_aws_managed(mocked: None) -> None:
    iam = client("iam")
    linked = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]
    arn = policy()["id"]
    iam.attach_role_policy(RoleName=linked["RoleName"], PolicyArn=arn)
    assert _ids(ATTACHMENT) == set()
    assert _ids(ATTACHMENT, strict=True) == {f"{linked['RoleName']}/{arn}"}


def test_records_skip_the_apex_ns_and_soa_unless_strict(mocked: None) -> None:
    zone_id = make_zone()
    upsert(zone_id, {"Name": "example.com.", "Type": "MX", "TTL": 300,
                     "ResourceRecords": [{"Value": "10 mail.example.com."}]})
    upsert(zone_id, {"Name": "api.example.com.", "Type": "CNAME", "TTL": 60,
                     "SetIdentifier": "blue", "Weight": 10,
                     "ResourceRecords": [{"Value": "blue.example.net"}]})
    upsert(zone_id, {"Name": "app.example.com.", "Type": "A", "AliasTarget": {
        "HostedZoneId": "Z32O12XQLNTSW2", "EvaluateTargetHealth": True,
        "DNSName": "Web-1.eu-west-1.ELB.amazonaws.com."}})
    assert _ids("aws_route53_record") == {f"{zone_id}_example.com_MX",
                                          f"{zone_id}_api.example.com_CNAME_blue",
                                          f"{zone_id}_app.example.com_A"}
    by_type = {r.attrs["type"]: r.attrs for r in resources(collect(["aws_route53_record"]))}
    assert by_type["A"]["alias"] == [{"name": "web-1.eu-west-1.elb.amazonaws.com",
                                      "zone_id": "Z32O12XQLNTSW2",
                                      "evaluate_target_health": True}]
    assert by_type["A"]["ttl"] == 0 and by_type["A"]["records"] == []
    assert by_type["CNAME"]["weighted_routing_policy"] == [{"weight": 10}]
    assert _ids("aws_route53_record", strict=True) >= {f"{zone_id}_example.com_NS",
                                                       f"{zone_id}_example.com_SOA"}


def test_a_record_configured_by_relative_or_full_name_matches_live(mocked: None) -> None:
    zone_id = make_zone()
    upsert(zone_id, {"Name": "www.example.com.", "Type": "A", "TTL": 300,
                     "ResourceRecords": [{"Value": "192.0.2.10"}]})
    live = resources(collect(["aws_route53_record"]))
    common = {"zone_id": zone_id, "fqdn": "www.example.com", "type": "A", "ttl": 300,
              "records": ["192.0.2.10"], "set_identifier": "", "health_check_id": "",
              "multivalue_answer_routing_policy": False, "alias": []}
    for name in ("www", "www.example.com"):
        applied = _state("aws_route53_record",
                         {**common, "id": f"{zone_id}_{name}_A", "name": name})
        assert _drift(live, applied) == []


def test_only_active_ecs_services_and_the_latest_active_revision(mocked: None) -> None:
    service = ecs_service()
    assert _ids("aws_ecs_service") == {service["id"]}  # "old" was deleted: INACTIVE
    family = ecs_task_definition()
    found = resources(collect(["aws_ecs_task_definition"]))
    assert {r.key.id for r in found} == {"web"}  # "retired" has no ACTIVE revision
    assert found[0].attrs["arn"] == family["arn"]


def test_the_default_encryption_keeps_its_mark_through_the_store(mocked: None,
                                                                  store: Store) -> None:
    bucket_encryption()  # acme-audit-logs: the AWS default rule
    kms = make_bucket("acme-kms")
    client("s3").put_bucket_encryption(Bucket=kms, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:eu-west-1:1:key/k"},
            "BucketKeyEnabled": True}]})
    make_bucket("acme-none")  # moto applies no default: no resource at all
    store.ingest(to_snapshot(ACCOUNT, collect([SSE]), T0), FP)
    stored = [to_resource(v) for v in store.scope_state(f"aws/{ACCOUNT}")]
    marks = {r.key.id: r.provenance.get("aws_default", False) for r in stored}
    assert marks == {"acme-audit-logs": True, "acme-kms": False}
    inp = DriftInput(live=stored, stacks=[Stack("prod", [])], observed_at=T0)
    assert [(d.finding.kind, d.finding.key.id) for d in compute_drift(inp).drifts] == [
        (DriftKind.UNMANAGED, "acme-kms")]


def test_listener_actions_as_terraform_blocks(mocked: None) -> None:
    values = listener()
    elbv2 = client("elbv2")
    blue, green = (elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=elbv2.describe_target_groups(
            TargetGroupArns=[values["tg_arn"]])["TargetGroups"][0]["VpcId"],
    )["TargetGroups"][0]["TargetGroupArn"] for name in ("blue", "green"))
    elbv2.create_listener(LoadBalancerArn=values["lb_arn"], Protocol="HTTP", Port=8080,
                          DefaultActions=[{"Type": "forward", "Order": 1, "ForwardConfig": {
                              "TargetGroups": [{"TargetGroupArn": green, "Weight": 20},
                                               {"TargetGroupArn": blue, "Weight": 80}]}}])
    elbv2.create_listener(LoadBalancerArn=values["lb_arn"], Protocol="HTTP", Port=8081,
                          DefaultActions=[{"Type": "redirect", "Order": 1, "RedirectConfig": {
                              "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    found = {r.attrs["port"]: r.attrs["default_action"]
             for r in resources(collect(["aws_lb_listener"]))}
    (weighted,) = found[8080]
    assert weighted["forward"][0]["target_group"] == sorted(
        [{"arn": blue, "weight": 80}, {"arn": green, "weight": 20}], key=lambda g: g["arn"])
    (redirect,) = found[8081]
    assert redirect["redirect"][0]["protocol"] == "HTTPS"
    assert redirect["redirect"][0]["status_code"] == "HTTP_301"


def test_an_oidc_action_is_mapped_without_its_secret() -> None:
    action = {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {
        "Issuer": "https://idp", "AuthorizationEndpoint": "https://idp/a",
        "TokenEndpoint": "https://idp/t", "UserInfoEndpoint": "https://idp/u",
        "ClientId": "c", "SessionTimeout": 3600, "OnUnauthenticatedRequest": "authenticate"}}
    attrs = Listener(Location(ACCOUNT, REGION)).to_attrs(
        {"ListenerArn": "arn:l", "DefaultActions": [action]})
    (block,) = attrs["default_action"][0]["authenticate_oidc"]
    assert block["client_id"] == "c" and block["session_timeout"] == 3600
    assert "client_secret" not in block


_LISTENERS_CALL = "provide-client-params.elastic-load-balancing-v2.DescribeListeners"


class _DeletesFirst:
    """Real moto clients; the first DescribeListeners call deletes its load balancer
    first, as if it were deleted between the two list calls."""

    def __init__(self, deny_listeners: bool = False) -> None:
        self._clients = SessionClients(boto3.session.Session(region_name=REGION))
        self._deny = deny_listeners
        self._done = False

    def client(self, service: str, region: str) -> Any:
        made = self._clients.client(service, region)
        if service == "elbv2" and not getattr(made, "_hooked", False):
            made.meta.events.register(_LISTENERS_CALL, self._before)
            made._hooked = True
        return made

    def _before(self, params: dict[str, Any], model: Any, **_kwargs: Any) -> None:
        if self._deny:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, model.name)
        if not self._done:
            self._done = True
            client("elbv2").delete_load_balancer(LoadBalancerArn=params["LoadBalancerArn"])


def test_a_parent_deleted_between_the_calls_is_skipped_not_a_fault(mocked: None) -> None:
    values = listener()
    first = client("elbv2").describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    assert first == values["lb_arn"]  # the only load balancer: deleted before its listeners
    outcomes = collect(["aws_lb_listener"], clients=_DeletesFirst())
    assert [o.error for o in outcomes if o.error] == []
    assert resources(outcomes) == []


def test_any_other_error_listing_children_fails_the_type(mocked: None) -> None:
    listener()
    (outcome,) = collect(["aws_lb_listener"], clients=_DeletesFirst(deny_listeners=True))
    assert outcome.error is not None and outcome.error.kind == "access-denied"


def test_container_order_from_older_providers_is_no_drift(mocked: None) -> None:
    values = ecs_task_definition()
    live = resources(collect(["aws_ecs_task_definition"]))
    containers = json.loads(live[0].attrs["container_definitions"])
    containers.reverse()  # as configured, before the provider sorted them by name
    for container in containers:
        container.get("environment", []).reverse()
    attrs = {**live[0].attrs, "arn": values["arn"],
             "container_definitions": json.dumps(containers, indent=2)}
    assert _drift(live, _state("aws_ecs_task_definition", attrs)) == []
    containers[0]["image"] = "busybox:1.37"
    changed = {**attrs, "container_definitions": json.dumps(containers)}
    assert _drift(live, _state("aws_ecs_task_definition", changed)) == [
        (DriftKind.CHANGED, "web")]
