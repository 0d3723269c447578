"""Settings: a TOML file, overridden by ``DRIFTAUDIT_*`` environment variables.

Precedence, highest first: environment (``DRIFTAUDIT_STATE_DIR``,
``DRIFTAUDIT_STORE__URL`` — nested sections use ``__``), the TOML file
(``--config``, else ``$DRIFTAUDIT_CONFIG``, else ``/etc/driftaudit/driftaudit.toml``
when it exists), then defaults.  See ``docs/configuration.md``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from auditd.errors import ConfigError
from auditd.timeutil import parse_duration

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ApiSettings",
    "AwsAccount",
    "AwsSettings",
    "CorrelationSettings",
    "DaemonSettings",
    "ImageRegistry",
    "ImageWatch",
    "ImagesSettings",
    "NotifySettings",
    "ReviewSettings",
    "Settings",
    "StoreSettings",
    "TerraformRepository",
    "TerraformSettings",
    "WebhookSink",
    "default_state_dir",
    "load_settings",
]

DEFAULT_CONFIG_PATH = Path("/etc/driftaudit/driftaudit.toml")


def default_state_dir() -> Path:
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return base / "driftaudit"


class StoreSettings(BaseModel):
    url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in the state dir")
    busy_timeout: float = Field(10.0, gt=0, description="seconds a writer waits for a lock")


class SnapshotSettings(BaseModel):
    max_bytes: int = Field(1 << 30, gt=0, description="largest snapshot file accepted")


class TerraformRepository(BaseModel):
    """One Terraform repository (or any folder of .tf files) and the states it applies to."""

    path: Path
    name: str = Field("", description="scope name part; default: the folder's name")
    states: list[str] = Field(default_factory=list, description="state files or s3:// URLs")
    ignore: list[str] = Field(default_factory=list, description="globs of paths to skip")
    var_files: dict[str, list[str]] = Field(
        default_factory=dict, description="root module folder -> .tfvars files, like -var-file")
    root_states: dict[str, list[str]] = Field(
        default_factory=dict, description="root module folder -> the states it applies to "
                                          "(default: read from the root's backend block)")


class TerraformSettings(BaseModel):
    repositories: list[TerraformRepository] = Field(default_factory=list)
    max_file_bytes: int = Field(4 << 20, gt=0, description=".tf files larger than this are skipped")
    max_state_bytes: int = Field(256 << 20, gt=0, description="largest state file read")
    workspace_key_prefix: str = "env:"
    default_account: str = Field("", description="account of state resources without an ARN")
    default_region: str = Field("", description="region of state resources without an ARN")
    rescan_interval: float = Field(300.0, gt=0, description="full rescan period of `watch`, s")
    debounce: float = Field(1.0, ge=0, description="quiet time before a file event is collected")


class AwsAccount(BaseModel):
    """One AWS account to collect, and how to reach it (see docs/aws.md)."""

    id: str = Field("", pattern=r"^(\d{12})?$",
                    description="the expected account id; names the scope even when unreachable")
    name: str = Field("", description="a label for output and --account")
    profile: str | None = Field(None, description="profile to start from; default: [aws].profile")
    role_arn: str = Field("", description="role assumed in the account (last hop of the chain)")
    role_chain: list[str] = Field(default_factory=list,
                                  description="roles assumed, in order, before role_arn")
    external_id: str = Field("", description="external id passed when assuming role_arn")
    session_name: str = "driftaudit"
    duration_seconds: int = Field(3600, ge=900, le=43200,
                                  description="role session length; refreshed before expiry")


class AwsOrganization(BaseModel):
    """Collect every active account of an AWS Organization (see docs/aws.md)."""

    enabled: bool = Field(False, description="discover accounts with organizations:ListAccounts")
    role_name: str = Field("OrganizationAccountAccessRole",
                           description="role assumed in each member account; use a "
                                       "read-only role deployed by a StackSet")
    external_id: str = Field("", description="external id passed when assuming role_name")
    exclude: list[str] = Field(default_factory=list,
                               description="account ids or names never collected")


class CloudTrailSettings(BaseModel):
    """CloudTrail actor attribution (see docs/cloudtrail.md)."""

    bucket: str = Field("", description="S3 bucket the trail writes its log files to")
    prefix: str = Field("", description="the trail's S3 key prefix (before AWSLogs/)")
    queue_url: str = Field("", description="SQS queue fed by the EventBridge rule")
    poll_seconds: int = Field(20, ge=0, le=20, description="SQS long-poll wait, seconds")
    region: str | None = Field(None, description="region of the bucket and queue; "
                                                 "default: [aws].region")
    role_arn: str = Field("", description="role to assume to read them (log archive account)")
    lookback_minutes: int = Field(60, ge=1, description="how late a log file may arrive")
    first_hours: float = Field(24.0, gt=0, description="a never-read folder starts this long ago")


class AwsSettings(BaseModel):
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = Field(None, description="custom endpoint (testing only)")
    accounts: list[AwsAccount] = Field(
        default_factory=list, description="accounts to collect; default: the credentials' own")
    organization: AwsOrganization = AwsOrganization()
    regions: list[str] = Field(default_factory=list,
                               description="regions to collect; default: every enabled region")
    types: list[str] = Field(default_factory=list,
                             description="Terraform types to collect; default: every supported")
    strict: bool = Field(False, description="also collect AWS-managed defaults")
    max_workers: int = Field(8, ge=1, le=64, description="parallel (account, region, type) reads")
    max_attempts: int = Field(5, ge=1, le=20, description="attempts per AWS call (adaptive)")
    cloudtrail: CloudTrailSettings = CloudTrailSettings()


class ImageWatch(BaseModel):
    """One image reference to watch (``[[images.refs]]``), see docs/images.md."""

    ref: str = Field(description="registry/repository:tag or registry/repository@sha256:...")
    name: str = Field("", description="a label for output")


class ImageRegistry(BaseModel):
    """How to reach one registry (``[[images.registries]]``).  The password is read from a
    file or an environment variable at collection time, never stored or logged."""

    host: str = Field(pattern=r"^[A-Za-z0-9.\-\[\]:]+$", description="registry host[:port]")
    insecure: bool = Field(False, description="plain http (loopback test registries only)")
    username: str = ""
    password_file: Path | None = Field(None, description="file holding the password/token")
    password_env: str = Field("", description="environment variable holding the password")


class ImagesSettings(BaseModel):
    """Container image digests (see docs/images.md)."""

    refs: list[ImageWatch] = Field(default_factory=list)
    registries: list[ImageRegistry] = Field(default_factory=list)
    discover: bool = Field(True, description="also watch images named by ECS task definitions, "
                                             "Lambda functions and Terraform `image` attributes")
    timeout: float = Field(10.0, gt=0, le=300, description="seconds per registry request")
    max_workers: int = Field(4, ge=1, le=32, description="registries read in parallel")

    @field_validator("refs", mode="before")
    @classmethod
    def _plain_refs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"ref": v} if isinstance(v, str) else v for v in value]
        return value


class CorrelationSettings(BaseModel):
    services_file: Path | None = Field(None, description="service model: TOML, YAML, JSON, CSV")
    telemetry_csv: Path | None = Field(None, description="offline telemetry, long CSV format")
    prometheus: dict[str, Any] | None = Field(
        None, description="[correlation.prometheus] url, step, queries (PromQL per signal)")
    window: str = Field("6h", description="how far before an onset changes are considered")


class ReviewSettings(BaseModel):
    """How `unreviewed` judges changes (see docs/cli.md)."""

    deploy_principals: list[str] = Field(
        default_factory=list,
        description="globs of actor ARNs that deploy (their live changes are not out-of-band)")
    emergency_window: str = Field("24h", description="retro-review due this long after a "
                                                     "break-glass commit")
    apply_window: str = Field("1h", description="how near a Terraform apply must be to a "
                                                "live or state change to cover it")

    @field_validator("emergency_window", "apply_window")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)  # ValueError: reported as a settings error
        return value


class ApiSettings(BaseModel):
    """`driftaudit serve` (see docs/api.md).  Secrets are read from a file or the environment
    (``DRIFTAUDIT_API__PAGERDUTY_SECRET``), never written to the store."""

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8080, ge=0, le=65535, description="TCP port (0: any free port)")
    max_body_bytes: int = Field(5 << 20, gt=0, description="largest request body accepted")
    pagerduty_secret_file: Path | None = Field(
        None, description="file holding the PagerDuty v3 webhook secret(s), one per line")
    pagerduty_secret: SecretStr | None = Field(
        None, description="the PagerDuty webhook secret (prefer the environment or a file)")


class DaemonSettings(BaseModel):
    """`driftaudit serve`'s schedule (see docs/operations.md).  An interval of "" or "0"
    turns a job off; every job is leased in the store, so several processes sharing
    one PostgreSQL run it once per interval."""

    terraform_interval: str = Field("5m", description="collect every configured repository")
    aws_interval: str = Field("15m", description="collect live AWS (when [aws] is configured)")
    images_interval: str = Field("10m", description="resolve watched image tags to digests "
                                                    "(when refs are configured or discoverable)")
    drift_interval: str = Field("5m", description="evaluate drift and record its findings")
    checkpoint_interval: str = Field("1h", description="sign an audit checkpoint of the "
                                                       "store's hash chains")
    cloudtrail_interval: str = Field("5m", description="read new CloudTrail log files from "
                                                       "[aws.cloudtrail] bucket")
    watch_terraform: bool = Field(True, description="also collect a repository on file "
                                                    "changes (inotify), as `watch terraform`")
    lease_ttl: str = Field("10m", description="how long a silent job holder keeps its job")

    @field_validator("terraform_interval", "aws_interval", "drift_interval",
                     "checkpoint_interval", "lease_ttl", "images_interval",
                     "cloudtrail_interval")
    @classmethod
    def _duration(cls, value: str) -> str:
        if value.strip() not in ("", "0"):
            parse_duration(value)
        return value


class WebhookSink(BaseModel):
    """One webhook receiving drift notifications (see docs/notifications.md)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="label in logs")
    url: str = Field(pattern=r"^https?://", description="where findings are POSTed")
    secret_env: str = Field("", description="environment variable holding the HMAC secret")
    secret_file: Path | None = Field(None, description="file holding the HMAC secret")
    timeout: float = Field(5.0, gt=0, le=120, description="seconds per attempt")
    retries: int = Field(2, ge=0, le=10, description="further attempts after a failure")
    backoff: float = Field(1.0, ge=0, le=60, description="seconds before the first retry, "
                                                         "doubled each time")


class NotifySettings(BaseModel):
    webhooks: list[WebhookSink] = Field(default_factory=list)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRIFTAUDIT_", env_nested_delimiter="__",
                                      extra="forbid")

    state_dir: Path = Field(default_factory=default_state_dir)
    fingerprint_key_file: Path | None = None
    audit_key_file: Path | None = Field(
        None, description="Ed25519 key signing audit checkpoints and exports "
                          "(default <state_dir>/audit-signing.key)")
    store: StoreSettings = StoreSettings()
    snapshot: SnapshotSettings = SnapshotSettings()
    terraform: TerraformSettings = TerraformSettings()
    aws: AwsSettings = AwsSettings()
    images: ImagesSettings = ImagesSettings()
    correlation: CorrelationSettings = CorrelationSettings()
    review: ReviewSettings = ReviewSettings()
    notify: NotifySettings = NotifySettings()
    daemon: DaemonSettings = DaemonSettings()
    api: ApiSettings = ApiSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file's content arrives as init values: the environment wins over it.
        return env_settings, init_settings

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "cache"

    @property
    def key_file(self) -> Path:
        return self.fingerprint_key_file or self.state_dir / "fingerprint.key"

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.state_dir / "audit-signing.key"

    def database_url(self, override: str | None = None) -> str:
        if override:
            return override
        if self.store.url:
            return self.store.url
        return f"sqlite:///{self.state_dir / 'driftaudit.db'}"


def _config_path(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    from_env = os.environ.get("DRIFTAUDIT_CONFIG")
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist",
                          hint="pass --config with an existing file, or omit it") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None


def load_settings(config: Path | None = None) -> Settings:
    path = _config_path(config)
    values = _read_toml(path) if path is not None else {}
    try:
        return Settings(**values)
    except ValidationError as exc:
        where = f"config file {path}" if path else "environment"
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid settings in {where} (or DRIFTAUDIT_* variables): {details}",
                          hint="see docs/configuration.md for every setting") from None
