"""Collectors: how driftaudit reads each kind of source into :class:`~auditd.model.Snapshot`.

One module or subpackage per kind of source.  Today: :mod:`snapshot_file`, the
documented JSON snapshot format (for feeding snapshots from other tools).
"""
