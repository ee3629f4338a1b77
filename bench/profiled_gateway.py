"""``coop-gateway serve`` under cProfile, for ``bench/dashboard.py --profile FILE``.

uvicorn re-raises SIGTERM once it has shut down, which would end the process before
``python -m cProfile`` writes its stats; here SIGTERM's handler exits normally instead.
"""

from __future__ import annotations

import cProfile
import os
import signal
import sys
from types import FrameType

from gateway.serve import serve
from gateway.settings import Settings


def _exit(_signal: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(stats_file: str) -> None:
    signal.signal(signal.SIGTERM, _exit)
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        serve(Settings.from_environ(os.environ))
    finally:
        profiler.disable()
        profiler.dump_stats(stats_file)


if __name__ == "__main__":
    main(sys.argv[1])
