"""``coop-gateway`` run as an operator runs it: ``python -m gateway`` in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.simulator_process import REPO


def coop_gateway(
    arguments: Sequence[str], *, cwd: Path = REPO, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs the command to its end; ``env`` goes on top of this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "gateway", *arguments],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
