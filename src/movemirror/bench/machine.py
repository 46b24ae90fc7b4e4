"""The machine a benchmark ran on, as every benchmark's JSON records it."""

from __future__ import annotations

import os
import platform


def machine_info() -> dict:
    """Cores, platform, Python and the 1-minute load average (other jobs slow every figure)."""
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "load_average": os.getloadavg()[0]}
