"""`custodian` with one fix for a local endpoint: run by the c7n venv's Python, not ours.

Usage (as bench/aws_collect.py runs it)::

    <c7n venv>/bin/python bench/c7n_run.py run -s OUT --cache-period 0 -r REGION ... POLICIES

Everything is c7n's own command line (``c7n.cli.main``), with the endpoint taken
from botocore's ``AWS_ENDPOINT_URL`` environment variable, except for one patch:
c7n's SQS resource builds its client with an explicit ``endpoint_url``
(``https://sqs.<region>.amazonaws.com``, to avoid boto's legacy queue URLs), which
overrides the environment; with ``AWS_ENDPOINT_URL`` set, the patch builds that
client like every other, so it reaches the same server.  Nothing else changes:
same resource managers, same augment calls, same threads.

This file must import only the standard library and c7n (it runs in c7n's venv).
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _patch_sqs() -> None:
    from c7n.resources import load_resources
    from c7n.resources.sqs import SQS
    from c7n.utils import local_session

    load_resources(("aws.sqs",))

    def get_client(self: Any) -> Any:
        return local_session(self.session_factory).client("sqs")

    if os.environ.get("AWS_ENDPOINT_URL"):
        SQS.get_client = get_client


def main() -> int:
    from c7n.cli import main as custodian

    _patch_sqs()
    sys.argv[0] = "custodian"
    custodian(sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
