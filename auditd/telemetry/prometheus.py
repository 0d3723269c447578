"""Telemetry from a Prometheus HTTP API: ``/api/v1/query_range``, one PromQL template per signal.

Configured in TOML (the ``[telemetry.prometheus]`` table, see
``docs/correlation.md``)::

    [telemetry.prometheus]
    url = "http://prometheus:9090"
    step = "60s"
    timeout = "10s"
    [telemetry.prometheus.queries]
    error_rate = 'sum by (instance, version) (rate(errors_total{service="{service}"}[1m]))'

``{service}`` is replaced by the service name, escaped for a PromQL string
(only that placeholder: PromQL's own braces are left alone).  Each result
series becomes one :class:`Series` with its ``instance`` and ``version``
labels (names configurable).  Network, HTTP and format failures raise
:class:`~auditd.errors.SourceUnavailable`, which the ranker turns into a
"missing data" note.  Standard library only (urllib); ``fetch`` is injectable.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from auditd.correlate.timeseries import Series
from auditd.errors import ConfigError, SourceUnavailable
from auditd.timeutil import parse_duration

__all__ = ["Fetch", "PrometheusSource", "prometheus_from_config", "urllib_fetch"]

Fetch = Callable[[str, float], bytes]
MAX_POINTS = 11_000  # Prometheus refuses more points per series in one query


def urllib_fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body: bytes = response.read()
        return body


class PrometheusSource:
    """A :class:`~auditd.correlate.timeseries.SeriesSource` over a Prometheus server."""

    def __init__(self, url: str, queries: Mapping[str, str], *,
                 step: timedelta = timedelta(seconds=60), timeout: float = 10.0,
                 instance_label: str = "instance", version_label: str = "version",
                 fetch: Fetch = urllib_fetch) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"Prometheus url {url!r} must start with http:// or https://")
        if not queries:
            raise ConfigError("no Prometheus queries configured",
                              hint="add [telemetry.prometheus.queries] error_rate = '...'")
        self.url = url.rstrip("/")
        self.queries = dict(queries)
        self.step = step
        self.timeout = timeout
        self.labels = (instance_label, version_label)
        self._fetch = fetch

    def series(self, service: str, start: datetime, end: datetime) -> Sequence[Series]:
        step = max(self.step.total_seconds(), (end - start).total_seconds() / MAX_POINTS)
        out: list[Series] = []
        for metric, template in self.queries.items():
            query = template.replace("{service}", _promql_string(service))
            params = urllib.parse.urlencode({"query": query, "start": f"{start.timestamp():.3f}",
                                             "end": f"{end.timestamp():.3f}", "step": f"{step:g}"})
            body = self._get(f"{self.url}/api/v1/query_range?{params}", metric, service)
            out.extend(self._parse(body, service, metric))
        return out

    def _get(self, url: str, metric: str, service: str) -> bytes:
        try:
            return self._fetch(url, self.timeout)
        except urllib.error.HTTPError as exc:
            detail = _error_text(exc.read())
            raise SourceUnavailable(f"Prometheus {self.url}: HTTP {exc.code} for {metric} of "
                                    f"{service}: {detail}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceUnavailable(f"Prometheus {self.url} unreachable: {reason}",
                                    hint="check [telemetry.prometheus] url") from None

    def _parse(self, body: bytes, service: str, metric: str) -> list[Series]:
        try:
            document = json.loads(body)
            if document.get("status") != "success":
                raise ValueError(document.get("error") or "status is not success")
            result = document["data"]["result"]
            return [self._series(item, service, metric) for item in result]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SourceUnavailable(f"Prometheus {self.url}: unusable answer for {metric} of "
                                    f"{service}: {exc}") from None

    def _series(self, item: Mapping[str, Any], service: str, metric: str) -> Series:
        labels = item.get("metric", {})
        pairs = [(float(t), _value(v)) for t, v in item.get("values", [])]
        return Series(service, metric, str(labels.get(self.labels[0], "")),
                      str(labels.get(self.labels[1], "")), tuple(t for t, _ in pairs),
                      tuple(v for _, v in pairs))


def _value(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _promql_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _error_text(body: bytes) -> str:
    try:
        return str(json.loads(body).get("error", body[:200].decode("utf-8", "replace")))
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace")


def prometheus_from_config(table: Mapping[str, Any], *,
                           fetch: Fetch = urllib_fetch) -> PrometheusSource:
    """Build a source from the ``[telemetry.prometheus]`` table of a TOML file."""
    try:
        queries = {str(k): str(v) for k, v in dict(table.get("queries", {})).items()}
        return PrometheusSource(
            str(table["url"]), queries, step=parse_duration(str(table.get("step", "60s"))),
            timeout=parse_duration(str(table.get("timeout", "10s"))).total_seconds(),
            instance_label=str(table.get("instance_label", "instance")),
            version_label=str(table.get("version_label", "version")), fetch=fetch)
    except KeyError:
        raise ConfigError("[telemetry.prometheus] needs url = \"http://host:9090\"") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[telemetry.prometheus]: {exc}") from None
