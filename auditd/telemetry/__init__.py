"""Telemetry sources for the correlator: a Prometheus HTTP API client and a CSV file loader.

Both produce :class:`auditd.correlate.timeseries.Series` through the
:class:`~auditd.correlate.timeseries.SeriesSource` protocol; the ranker in
:mod:`auditd.correlate` does the statistics.  This package does the I/O only.
"""

from __future__ import annotations

from auditd.telemetry.csvfile import LoadedTelemetry, load_telemetry_csv, parse_telemetry_csv
from auditd.telemetry.prometheus import PrometheusSource, prometheus_from_config

__all__ = ["LoadedTelemetry", "PrometheusSource", "load_telemetry_csv", "parse_telemetry_csv",
           "prometheus_from_config"]
