"""The Prometheus client against a real HTTP server on 127.0.0.1 serving /api/v1/query_range.

The server is a small ``http.server`` thread answering in Prometheus's JSON
shape; it records the queries it gets, so the tests check what the client asks
(PromQL with the service filled in, start/end/step) as well as what it makes
of the answers (labels, NaN, errors).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from auditd.correlate.ranker import rank_suspects
from auditd.errors import ConfigError, SourceUnavailable
from auditd.telemetry import PrometheusSource, prometheus_from_config
from tests.unit.correlate.builders import ONSET, change, incident, shop

START = ONSET - timedelta(minutes=40)


def _matrix(query: str) -> dict[str, object]:
    if "broken" in query:
        return {"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}
    values = [[START.timestamp() + 60 * k, "NaN" if k == 5 else str(0.01 if k < 30 else 0.4)]
              for k in range(45)]
    old = [[t, "0.01"] for t, _ in values]
    return {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"instance": "pod-1", "version": "v2"}, "values": values},
        {"metric": {"instance": "pod-2", "version": "v1"}, "values": old}]}}


class _Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query)
        _Handler.seen.append(params)
        if url.path != "/api/v1/query_range":
            self._send(404, {"status": "error", "error": "not found"})
        elif "teapot" in params["query"][0]:
            self._send(418, {"status": "error", "error": "I'm a teapot"})
        elif "garbage" in params["query"][0]:
            self._raw(200, b"<html>proxy login</html>")
        else:
            document = _matrix(params["query"][0])
            self._send(400 if document["status"] == "error" else 200, document)

    def _send(self, code: int, document: object) -> None:
        self._raw(code, json.dumps(document).encode())

    def _raw(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def prometheus() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_query_range_series_with_labels_and_nan(prometheus: str) -> None:
    query = 'sum by (instance, version) (rate(errors_total{service="{service}"}[1m]))'
    source = PrometheusSource(prometheus, {"error_rate": query}, timeout=5)
    got = source.series('pay"ments', START, ONSET)
    params = _Handler.seen[-1]
    assert params["query"] == ['sum by (instance, version) (rate(errors_total'
                               '{service="pay\\"ments"}[1m]))']
    assert float(params["start"][0]) == START.timestamp() and params["step"] == ["60"]
    by_instance = {s.instance: s for s in got}
    assert by_instance["pod-1"].version == "v2" and len(by_instance["pod-1"].times) == 45
    assert str(by_instance["pod-1"].values[5]) == "nan"


def test_the_ranker_uses_prometheus_telemetry(prometheus: str) -> None:
    source = prometheus_from_config({"url": prometheus, "step": "60s", "timeout": "5s",
                                     "queries": {"error_rate": 'errors{service="{service}"}'}})
    cause = change("v2", 12, version="v2", previous_version="v1", rollout=0.5,
                   finished_at=None)
    report = rank_suspects(incident(), [cause], shop(), source)
    codes = {r.code for r in report.suspects[0].reasons}
    assert "telemetry.version_gap" in codes
    assert any("NaN/infinite" in m.text for m in report.missing)


@pytest.mark.parametrize(("query", "message"), [
    ("broken(", "HTTP 400 .*parse error at char 3"),
    ("teapot", "HTTP 418 .*teapot"),
    ("garbage", "unusable answer"),
])
def test_server_errors_become_source_unavailable(prometheus: str, query: str,
                                                 message: str) -> None:
    source = PrometheusSource(prometheus, {"m": query}, timeout=5)
    with pytest.raises(SourceUnavailable, match=message):
        source.series("checkout", START, ONSET)


def test_unreachable_server_is_a_note_not_a_crash() -> None:
    source = PrometheusSource("http://127.0.0.1:9", {"m": "up"}, timeout=2)
    with pytest.raises(SourceUnavailable, match="unreachable"):
        source.series("checkout", START, ONSET)
    report = rank_suspects(incident(), [change("a", 3)], shop(), source)
    assert report.suspects and any("unreachable" in m.text for m in report.missing)


def test_bad_configuration() -> None:
    with pytest.raises(ConfigError, match="needs url"):
        prometheus_from_config({"queries": {"m": "up"}})
    with pytest.raises(ConfigError, match="no Prometheus queries"):
        prometheus_from_config({"url": "http://p:9090"})
    with pytest.raises(ConfigError, match="must start with http"):
        PrometheusSource("p:9090", {"m": "up"})
    with pytest.raises(ConfigError, match="not a duration"):
        prometheus_from_config({"url": "http://p", "step": "often", "queries": {"m": "up"}})
