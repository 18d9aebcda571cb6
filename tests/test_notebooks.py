"""The shipped notebooks: no outputs in the repository, none in what the Lite site packages."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _clear_outputs():
    path = REPO / "lite" / "clear_outputs.py"
    spec = importlib.util.spec_from_file_location("clear_outputs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_are_committed_with_outputs_cleared() -> None:
    assert len(NOTEBOOKS) >= 2
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


def test_the_lite_build_clears_what_jupyterlab_autosaved(tmp_path: Path) -> None:
    # a demo notebook as JupyterLab leaves it after a run
    notebook = json.loads((REPO / "notebooks" / "pelican.ipynb").read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = 3
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["x\n"]}]
    dirty = tmp_path / "in" / "pelican.ipynb"
    dirty.parent.mkdir()
    dirty.write_text(json.dumps(notebook))
    module = _clear_outputs()
    argv = sys.argv
    sys.argv = ["clear_outputs.py", str(tmp_path / "out"), str(dirty)]
    try:
        module.main()
    finally:
        sys.argv = argv
    clean = json.loads((tmp_path / "out" / "pelican.ipynb").read_text())
    code = [c for c in clean["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    # nothing else changed
    assert [c["source"] for c in clean["cells"]] == [c["source"] for c in notebook["cells"]]
    assert clean["metadata"] == notebook["metadata"]
    # and the build script packages the cleared copies, not the repository's files
    build = (REPO / "lite" / "build.sh").read_text()
    assert "lite/clear_outputs.py" in build
    assert '--contents "$root/notebooks/' not in build
