"""Exports for auditors: change reports (JSON, CSV, HTML) with signed evidence.

:mod:`~auditd.export.formats` formats rows; :mod:`~auditd.export.manifest` writes and
checks the signed manifest.  The service (:mod:`auditd.service.export`) chooses the rows.
"""

from __future__ import annotations

from auditd.export.formats import CSV_COLUMNS, JSON_SCHEMA, to_csv, to_html, to_json
from auditd.export.manifest import (
    MANIFEST,
    MANIFEST_SCHEMA,
    SIGNATURE,
    ExportCheck,
    verify_export,
    write_manifest,
)

__all__ = ["CSV_COLUMNS", "JSON_SCHEMA", "MANIFEST", "MANIFEST_SCHEMA", "SIGNATURE",
           "ExportCheck", "to_csv", "to_html", "to_json", "verify_export", "write_manifest"]
