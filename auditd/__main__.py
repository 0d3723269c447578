"""``python -m auditd`` runs the ``driftaudit`` command."""

from auditd.cli import main

main()
