"""The notebooks the e2e tests open: unrun code cells, written as .ipynb files."""

from __future__ import annotations

import json
from pathlib import Path

KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}


def code_cells(sources: list[str], id_prefix: str) -> list[dict]:
    """Unrun nbformat 4.5 code cells of ``sources``, with ids ``{id_prefix}{index}``."""
    return [
        {
            "cell_type": "code",
            "id": f"{id_prefix}{i}",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": source,
        }
        for i, source in enumerate(sources)
    ]


def write_notebook(path: Path, sources: list[str], id_prefix: str) -> Path:
    """Write a Python 3 notebook of unrun code cells ``sources`` to ``path``; return ``path``."""
    nb = {
        "cells": code_cells(sources, id_prefix),
        "metadata": KERNELSPEC,
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))
    return path
