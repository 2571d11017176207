"""Kill a CLI run at a chosen point of a fake server's traffic (the resumption tests)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.github_server import FakeGitHub


def kill_cli_after(
    gh: FakeGitHub, args: list[str], env: dict[str, str], *, graphql_requests: int
) -> None:
    """Run the CLI with ``args`` and SIGKILL it once the fake server has seen
    ``graphql_requests`` GraphQL requests (the test makes the next one hang), then lift the
    faults so the resumed run is served normally."""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, str(root / "cli.py"), *args], env=env)
    deadline = time.monotonic() + 60
    while gh.count("/graphql") < graphql_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    gh.clear_faults()
