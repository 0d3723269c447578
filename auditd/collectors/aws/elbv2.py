"""Load balancing types (ELBv2 API): aws_lb, aws_lb_target_group and aws_lb_listener.

All are keyed by their ARN, the id Terraform stores; listeners are listed per load
balancer.  ``aws_lb`` covers application,
network and gateway load balancers; classic ELBs are another API and another type.
Load balancer attributes arrive as strings and are typed here like the provider does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, Describe, Within, aws_type, tags_of, text

__all__ = ["Listener", "LoadBalancer", "TargetGroup"]




def _tags(raw: Mapping[str, Any]) -> dict[str, str]:
    described = list(raw.get("TagDescriptions") or [])
    return tags_of(described[0].get("Tags") if described else None)


def _attributes(raw: Mapping[str, Any]) -> dict[str, str]:
    return {str(a["Key"]): text(a.get("Value")) for a in raw.get("Attributes") or ()}


def _suffix(arn: str, marker: str) -> str:
    """``…:loadbalancer/app/web/123`` -> ``app/web/123`` (Terraform's ``arn_suffix``)."""
    return arn.split(marker, 1)[-1]


def _tag_call() -> Describe:
    return Describe("describe_tags", {"ResourceArns": "ResourceArns"}, into="TagDescriptions",
                    result_key="TagDescriptions")


@aws_type
class LoadBalancer(AWSType):
    """Maps: arn, arn_suffix, name, internal, load_balancer_type, ip_address_type, vpc_id,
    security_groups, subnets, dns_name, zone_id, enable_deletion_protection, tags_all."""

    tf_type = "aws_lb"
    service = "elbv2"
    list_call = ("describe_load_balancers", "LoadBalancers")
    id_field = "LoadBalancerArn"
    describe = (
        Describe("describe_load_balancer_attributes", {"LoadBalancerArn": "LoadBalancerArn"},
                 into="Attributes", result_key="Attributes"),
        _tag_call(),
    )
    iam = ("elasticloadbalancing:DescribeLoadBalancers",
           "elasticloadbalancing:DescribeLoadBalancerAttributes",
           "elasticloadbalancing:DescribeTags")

    def item(self, listed: Any) -> dict[str, Any]:
        return {**listed, "ResourceArns": [listed["LoadBalancerArn"]]}

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        arn, attributes = raw["LoadBalancerArn"], _attributes(raw)
        return {
            "id": arn, "arn": arn, "arn_suffix": _suffix(arn, ":loadbalancer/"),
            "name": raw.get("LoadBalancerName"), "internal": raw.get("Scheme") == "internal",
            "load_balancer_type": raw.get("Type"),
            "ip_address_type": text(raw.get("IpAddressType")), "vpc_id": text(raw.get("VpcId")),
            "security_groups": sorted(text(g) for g in raw.get("SecurityGroups") or ()),
            "subnets": sorted(text(z.get("SubnetId")) for z in raw.get("AvailabilityZones") or ()),
            "dns_name": text(raw.get("DNSName")), "zone_id": text(raw.get("CanonicalHostedZoneId")),
            "enable_deletion_protection":
                attributes.get("deletion_protection.enabled", "false") == "true",
            "tags_all": _tags(raw),
        }


@aws_type
class TargetGroup(AWSType):
    """Maps: arn, arn_suffix, name, port, protocol, protocol_version, target_type, vpc_id,
    ip_address_type, deregistration_delay, slow_start, health_check, tags_all."""

    tf_type = "aws_lb_target_group"
    service = "elbv2"
    list_call = ("describe_target_groups", "TargetGroups")
    id_field = "TargetGroupArn"
    describe = (
        Describe("describe_target_group_attributes", {"TargetGroupArn": "TargetGroupArn"},
                 into="Attributes", result_key="Attributes"),
        _tag_call(),
    )
    iam = ("elasticloadbalancing:DescribeTargetGroups",
           "elasticloadbalancing:DescribeTargetGroupAttributes",
           "elasticloadbalancing:DescribeTags")

    def item(self, listed: Any) -> dict[str, Any]:
        return {**listed, "ResourceArns": [listed["TargetGroupArn"]]}

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        arn, attributes = raw["TargetGroupArn"], _attributes(raw)
        matcher = raw.get("Matcher") or {}
        return {
            "id": arn, "arn": arn, "arn_suffix": "targetgroup/" + _suffix(arn, ":targetgroup/"),
            "name": raw.get("TargetGroupName"), "port": int(raw.get("Port") or 0),
            "protocol": text(raw.get("Protocol")),
            "protocol_version": text(raw.get("ProtocolVersion")),
            "target_type": raw.get("TargetType") or "instance",
            "vpc_id": text(raw.get("VpcId")),
            "ip_address_type": text(raw.get("IpAddressType")),
            "deregistration_delay": attributes.get("deregistration_delay.timeout_seconds", "300"),
            "slow_start": int(attributes.get("slow_start.duration_seconds") or 0),
            "health_check": [{
                "enabled": bool(raw.get("HealthCheckEnabled")),
                "healthy_threshold": int(raw.get("HealthyThresholdCount") or 0),
                "interval": int(raw.get("HealthCheckIntervalSeconds") or 0),
                "matcher": text(matcher.get("HttpCode") or matcher.get("GrpcCode")),
                "path": text(raw.get("HealthCheckPath")),
                "port": text(raw.get("HealthCheckPort")),
                "protocol": text(raw.get("HealthCheckProtocol")),
                "timeout": int(raw.get("HealthCheckTimeoutSeconds") or 0),
                "unhealthy_threshold": int(raw.get("UnhealthyThresholdCount") or 0),
            }],
            "tags_all": _tags(raw),
        }


@aws_type
class Listener(AWSType):
    """Listeners, listed per load balancer.  Maps: arn, load_balancer_arn, port, protocol,
    ssl_policy, certificate_arn (the default certificate), alpn_policy, default_action
    (type, order, target_group_arn, forward to several weighted groups, redirect,
    fixed_response, authenticate_cognito, authenticate_oidc without its client secret,
    which AWS never returns), tags_all."""

    tf_type = "aws_lb_listener"
    service = "elbv2"
    within = Within(("describe_load_balancers", "LoadBalancers"),
                    {"LoadBalancerArn": "LoadBalancerArn"},
                    absent=frozenset({"LoadBalancerNotFound"}))
    list_call = ("describe_listeners", "Listeners")
    id_field = "ListenerArn"
    describe = (_tag_call(),)
    iam = ("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
           "elasticloadbalancing:DescribeTags")

    def item(self, listed: Any) -> dict[str, Any]:
        return {**listed, "ResourceArns": [listed["ListenerArn"]]}

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        arn = raw["ListenerArn"]
        certificates = list(raw.get("Certificates") or ())
        alpn = list(raw.get("AlpnPolicy") or ())
        actions = sorted(raw.get("DefaultActions") or (), key=lambda a: int(a.get("Order") or 0))
        return {
            "id": arn, "arn": arn, "load_balancer_arn": text(raw.get("LoadBalancerArn")),
            "port": int(raw.get("Port") or 0), "protocol": text(raw.get("Protocol")),
            "ssl_policy": text(raw.get("SslPolicy")),
            # Set by the provider only when there is exactly one, else left null.
            "certificate_arn": text(certificates[0].get("CertificateArn"))
            if len(certificates) == 1 else None,
            "alpn_policy": text(alpn[0]) if len(alpn) == 1 else None,
            "default_action": [_action(a) for a in actions],
            "tags_all": _tags(raw),
        }


def _action(action: Mapping[str, Any]) -> dict[str, Any]:
    """One action as Terraform's ``default_action`` block."""
    target_group = text(action.get("TargetGroupArn"))
    forward = action.get("ForwardConfig")
    redirect = action.get("RedirectConfig")
    fixed = action.get("FixedResponseConfig")
    cognito = action.get("AuthenticateCognitoConfig")
    oidc = action.get("AuthenticateOidcConfig")
    return {
        "type": text(action.get("Type")), "order": int(action.get("Order") or 0),
        "target_group_arn": target_group,
        "forward": [_forward(forward)] if forward and not target_group else [],
        "redirect": [] if not redirect else [{
            "host": text(redirect.get("Host")), "path": text(redirect.get("Path")),
            "port": text(redirect.get("Port")), "protocol": text(redirect.get("Protocol")),
            "query": text(redirect.get("Query")), "status_code": text(redirect.get("StatusCode"))}],
        "fixed_response": [] if not fixed else [{
            "content_type": text(fixed.get("ContentType")),
            "message_body": text(fixed.get("MessageBody")),
            "status_code": text(fixed.get("StatusCode"))}],
        "authenticate_cognito": [] if not cognito else [{
            **_authenticate(cognito), "user_pool_arn": text(cognito.get("UserPoolArn")),
            "user_pool_client_id": text(cognito.get("UserPoolClientId")),
            "user_pool_domain": text(cognito.get("UserPoolDomain"))}],
        "authenticate_oidc": [] if not oidc else [{
            **_authenticate(oidc), "issuer": text(oidc.get("Issuer")),
            "authorization_endpoint": text(oidc.get("AuthorizationEndpoint")),
            "token_endpoint": text(oidc.get("TokenEndpoint")),
            "user_info_endpoint": text(oidc.get("UserInfoEndpoint")),
            "client_id": text(oidc.get("ClientId"))}],
    }


def _authenticate(config: Mapping[str, Any]) -> dict[str, Any]:
    """What the Cognito and OIDC blocks share."""
    return {"authentication_request_extra_params":
                {str(k): text(v) for k, v in (config.get("AuthenticationRequestExtraParams")
                                              or {}).items()},
            "on_unauthenticated_request": text(config.get("OnUnauthenticatedRequest")),
            "scope": text(config.get("Scope")),
            "session_cookie_name": text(config.get("SessionCookieName")),
            "session_timeout": int(config.get("SessionTimeout") or 0)}


def _forward(config: Mapping[str, Any]) -> dict[str, Any]:
    stickiness = config.get("TargetGroupStickinessConfig") or {}
    return {
        "target_group": sorted(({"arn": text(g.get("TargetGroupArn")),
                                 "weight": int(g.get("Weight") or 0)}
                                for g in config.get("TargetGroups") or ()),
                               key=lambda g: g["arn"]),
        "stickiness": [{"enabled": bool(stickiness.get("Enabled")),
                        "duration": int(stickiness.get("DurationSeconds") or 0)}],
    }
