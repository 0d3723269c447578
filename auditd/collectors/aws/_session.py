"""Sessions for the live AWS collector: profiles, assume-role chains, regions, clients.

* :class:`RetryPolicy`: botocore's *adaptive* retry mode (client-side rate limiting
  plus backoff on throttling) with bounded timeouts, as in
  :func:`auditd.collectors.aws.s3.make_s3_client`.
* :class:`AccountTarget`: how to reach one account: a profile, a chain of roles to
  assume through STS (each hop from the credentials of the previous one; the
  external id goes with the last hop), a session name.
* :class:`SessionClients`: a :class:`ClientFactory` over one boto3 session.  boto3
  sessions are not thread-safe but clients are, so each (service, region) client
  is made once and shared by the collector's worker threads.  The session's first
  client is made alone (it builds the session's lazily made parts: credentials,
  data loader, endpoint resolver); after that, clients of different keys are made
  concurrently, each under its own key's lock (about 40 clients a collection,
  25 ms of CPU each, no longer queued behind one another).
* :func:`account_id` (``sts:GetCallerIdentity``) and :func:`enabled_regions`
  (``ec2:DescribeRegions``: the regions enabled for the account).

Tests inject any :class:`ClientFactory` (e.g. one that fails for one service in one
region) instead of monkeypatching boto3.  Read-only: nothing here creates, changes
or deletes anything in AWS.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials

__all__ = [
    "DEFAULT_HOME_REGION",
    "AccountTarget",
    "ClientFactory",
    "MemberAccount",
    "RetryPolicy",
    "SessionClients",
    "account_id",
    "assumed_role_session",
    "enabled_regions",
    "open_account",
    "organization_accounts",
]

DEFAULT_HOME_REGION = "us-east-1"
_ENABLED = frozenset({"opt-in-not-required", "opted-in"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """botocore retry mode and limits; ``max_attempts`` counts the first attempt too."""

    mode: str = "adaptive"
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class AccountTarget:
    """One account to collect, and how to reach it.

    ``account_id`` (optional) is what the account is expected to be: it names the
    scope even when the account cannot be reached.  Without ``role_arns`` the
    profile's (or the environment's) credentials are used as they are.
    """

    account_id: str = ""
    name: str = ""
    profile: str | None = None
    role_arns: tuple[str, ...] = ()
    external_id: str = ""
    session_name: str = "driftaudit"
    duration_seconds: int = 3600

    @property
    def label(self) -> str:
        return self.name or self.account_id or self.profile or "default credentials"


class ClientFactory(Protocol):
    """Makes (thread-safe) boto3 clients for one account."""

    def client(self, service: str, region: str) -> Any: ...


class SessionClients:
    """Clients of one boto3 session, cached by (service, region), each made once."""

    def __init__(self, session: Any, *, endpoint_url: str | None = None,
                 retry: RetryPolicy = RetryPolicy()) -> None:
        from botocore.config import Config

        self._session = session
        self._endpoint_url = endpoint_url
        self._config = Config(
            retries={"mode": retry.mode, "total_max_attempts": retry.max_attempts},
            connect_timeout=retry.connect_timeout, read_timeout=retry.read_timeout,
            user_agent_extra="driftaudit", max_pool_connections=32)
        self._lock = threading.Lock()  # guards the dicts and the session's first client
        self._warm = False
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        made = self._clients.get(key)
        if made is not None:
            return made
        with self._lock:
            if not self._warm:  # the first client: alone, then the session is warm
                made = self._clients[key] = self._make(service, region)
                self._warm = True
                return made
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one maker per key; other keys are made meanwhile
            made = self._clients.get(key)
            if made is None:
                made = self._make(service, region)
                with self._lock:
                    self._clients[key] = made
            return made

    def _make(self, service: str, region: str) -> Any:
        return self._session.client(service, region_name=region,
                                    endpoint_url=self._endpoint_url, config=self._config)


def open_account(target: AccountTarget, *, endpoint_url: str | None = None,
                 home_region: str = DEFAULT_HOME_REGION,
                 retry: RetryPolicy = RetryPolicy()) -> SessionClients:
    """Clients for ``target``: its profile, then each role of its chain assumed in turn.

    Every assumed hop's credentials refresh themselves before they expire (botocore
    refreshes them 15 minutes ahead), each hop from the previous hop's current
    credentials, so a collection or a watch loop that outlives one role session
    goes on working.  The first hop is assumed here, so a bad role fails now.

    Raises botocore errors (access denied, bad credentials); the caller records them.
    """
    import boto3

    session = boto3.session.Session(profile_name=target.profile, region_name=home_region)
    for hop, role_arn in enumerate(target.role_arns, 1):
        request: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": target.session_name,
                                   "DurationSeconds": target.duration_seconds}
        if hop == len(target.role_arns) and target.external_id:
            request["ExternalId"] = target.external_id
        parent = SessionClients(session, endpoint_url=endpoint_url, retry=retry)
        session = assumed_role_session(parent, request, home_region)
    return SessionClients(session, endpoint_url=endpoint_url, retry=retry)


def assumed_role_session(parent: ClientFactory, request: dict[str, Any],
                         home_region: str) -> Any:
    """A boto3 session whose credentials come from ``sts:AssumeRole`` with ``request``,
    made through ``parent``'s clients and assumed again whenever they near expiry."""
    import boto3
    import botocore.session

    def assume() -> dict[str, str]:
        answer = parent.client("sts", home_region).assume_role(**request)["Credentials"]
        return {"access_key": answer["AccessKeyId"], "secret_key": answer["SecretAccessKey"],
                "token": answer["SessionToken"],
                "expiry_time": _rfc3339(answer["Expiration"])}

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=assume(), refresh_using=assume, method="assume-role")
    core = botocore.session.Session()
    core.register_component("credential_provider",
                            CredentialResolver(providers=[_Fixed(credentials)]))
    return boto3.session.Session(botocore_session=core, region_name=home_region)


def _rfc3339(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class _Fixed(CredentialProvider):  # type: ignore[misc]
    """A credential provider that hands out one (refreshable) credentials object."""

    METHOD = "assume-role"
    CANONICAL_NAME = "driftaudit-assume-role"

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Any:
        return self._credentials


def account_id(clients: ClientFactory, home_region: str = DEFAULT_HOME_REGION) -> str:
    """The account the clients' credentials belong to."""
    return str(clients.client("sts", home_region).get_caller_identity()["Account"])


@dataclass(frozen=True, slots=True)
class MemberAccount:
    """One account of an AWS Organization, as ``organizations:ListAccounts`` lists it."""

    account_id: str
    name: str
    status: str  # ACTIVE, SUSPENDED, PENDING_CLOSURE

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"


def organization_accounts(clients: ClientFactory,
                          home_region: str = DEFAULT_HOME_REGION) -> list[MemberAccount]:
    """Every account of the Organization the credentials can list (management account
    or delegated administrator), sorted by id.  Raises botocore errors (e.g.
    ``AccessDeniedException`` from a member account); the caller reports them."""
    pages = clients.client("organizations", home_region).get_paginator("list_accounts")
    found = [MemberAccount(str(a["Id"]), str(a.get("Name", "")), str(a.get("Status", "")))
             for page in pages.paginate() for a in page.get("Accounts", ())]
    return sorted(found, key=lambda a: a.account_id)


def enabled_regions(clients: ClientFactory, home_region: str = DEFAULT_HOME_REGION) -> list[str]:
    """The regions enabled for the account (opt-in regions only once opted in), sorted."""
    answer = clients.client("ec2", home_region).describe_regions(
        AllRegions=False,
        Filters=[{"Name": "opt-in-status", "Values": sorted(_ENABLED)}])
    return sorted(str(r["RegionName"]) for r in answer.get("Regions", ())
                  if r.get("OptInStatus", "opt-in-not-required") in _ENABLED)
