"""driftaudit: configuration drift and change-audit daemon (import package ``auditd``).

The command is ``driftaudit``; see ``auditd.cli``.  Importing this package is
cheap: it imports nothing heavy.
"""

__version__ = "0.1.0"
