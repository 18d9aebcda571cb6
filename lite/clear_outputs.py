"""Copy notebooks with their outputs cleared, so the site ships them as the repository has them.

JupyterLab autosaves outputs into a notebook it has run (``make lab``); the
site must not package those. Each copy has every code cell's ``outputs``
emptied and ``execution_count`` reset, and nothing else changed.

Usage::

    python lite/clear_outputs.py OUT_DIR NOTEBOOK.ipynb [NOTEBOOK.ipynb ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def cleared(notebook: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``notebook`` (nbformat 4 JSON) without outputs or execution counts."""
    out = json.loads(json.dumps(notebook))
    for cell in out.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return out


def main() -> None:
    """Write cleared copies of the notebooks named on the command line into OUT_DIR."""
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[2:]:
        source = Path(name)
        notebook = cleared(json.loads(source.read_text(encoding="utf-8")))
        text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        (out_dir / source.name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
