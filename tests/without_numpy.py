"""Run code in a fresh Python without numpy and Pillow, as Pyodide may be (not a test module)."""

from __future__ import annotations

import subprocess
import sys


def assert_runs_without_numpy(code: str, **run_kwargs) -> None:
    """Run ``code`` in a new Python that cannot import numpy or PIL; it must exit 0 and print ok."""
    script = (
        "import sys; sys.modules['numpy'] = None; sys.modules['PIL'] = None\n"
        + code
        + "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, **run_kwargs
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
