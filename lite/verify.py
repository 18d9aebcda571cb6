"""Check that a built JupyterLite site is complete and needs nothing from a CDN.

Usage::

    python lite/verify.py lite/dist
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

PYODIDE_URL = "./static/pyodide/pyodide.mjs"
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
EXTENSIONS = (
    "@jupyter-widgets/jupyterlab-manager",
    "anywidget",
    "@jupyterlite/pyodide-kernel-extension",
)
CONTENTS = ("pelican.ipynb", "lite_landing.ipynb", "pelican_head.png")
NEVER_IN_PACKAGE = ("numpy", "pillow")


def problems(site: Path) -> list[str]:
    """List what is wrong with the site in ``site`` (empty when it is sound)."""
    found = []
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config.get("litePluginSettings", {}).get(KERNEL_PLUGIN, {})
    if kernel.get("pyodideUrl") != PYODIDE_URL:
        found.append(f"pyodideUrl is {kernel.get('pyodideUrl')!r}, not {PYODIDE_URL!r}")
    if kernel.get("disablePyPIFallback") is not True:
        found.append("disablePyPIFallback is not true")
    loaded = {ext["name"] for ext in config.get("federated_extensions", [])}
    for name in EXTENSIONS:
        if name not in loaded or not (site / "extensions" / name).is_dir():
            found.append(f"labextension {name} missing")
    for name in CONTENTS:
        if not (site / "files" / name).is_file():
            found.append(f"content {name} missing")
        elif name.endswith(".ipynb"):
            cells = json.loads((site / "files" / name).read_text())["cells"]
            if any(cell.get("outputs") for cell in cells):
                found.append(f"notebook {name} ships with outputs")
    pyodide = site / "static" / "pyodide"
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())["packages"]
    for key, entry in lock.items():
        wheel = pyodide / entry["file_name"]
        if not wheel.is_file():
            found.append(f"{key}: {entry['file_name']} missing")
        elif hashlib.sha256(wheel.read_bytes()).hexdigest() != entry["sha256"]:
            found.append(f"{key}: sha256 mismatch")
        found += [f"{key} depends on missing {dep}" for dep in entry["depends"] if dep not in lock]
    package = lock.get("pelican-widget")
    if package is None:
        found.append("pelican-widget is not in pyodide-lock.json")
    else:
        found += [
            f"pelican-widget depends on {d}" for d in NEVER_IN_PACKAGE if d in package["depends"]
        ]
    return found


def main() -> None:
    """Exit non-zero with a list of problems if the site is not sound."""
    found = problems(Path(sys.argv[1]))
    for line in found:
        print(f"lite/verify: {line}", file=sys.stderr)
    if found:
        sys.exit(1)
    print("lite/verify: site complete, Pyodide local, PyPI fallback off")


if __name__ == "__main__":
    main()
