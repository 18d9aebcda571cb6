"""Prepare an offline Pyodide distribution for the JupyterLite site.

The npm package ``pyodide`` ships the interpreter and ``pyodide-lock.json`` but
no package wheels. This script copies the interpreter files, downloads the
pure-Python wheels that the kernel and the widget import (from PyPI, through
pip), adds the project's own wheel, and rewrites the lock so that it lists
exactly the shipped wheels with their sha256, dependencies and import names.

numpy and pillow have no Pyodide builds on any registry, so they are dropped
from the dependencies: the package imports them lazily and works without them.

Usage::

    python lite/lock.py --pyodide PYODIDE_NPM_DIR --wheel PROJECT.whl \
        --cache lite/_build/pypi --out lite/_build/site/static/pyodide
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement

#: files of the npm package that the kernel loads at run time
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
)

#: what the Pyodide kernel installs at start (see its worker): packages from
#: PyPI, and its own wheels that come with its labextension (``static/pypi``)
KERNEL_ROOTS = ("micropip", "packaging", "comm", "ipython", "jedi")
KERNEL_SHIMS = ("piplite", "pyodide-kernel", "ipykernel")
KERNEL_EXTENSION = "@jupyterlite/pyodide-kernel-extension"

#: dependencies that are never shipped: no Pyodide build exists (numpy,
#: pillow), or they only carry frontend files that the site serves itself
#: as federated extensions (widgetsnbextension, jupyterlab-widgets)
DROPPED = frozenset({"numpy", "pillow", "widgetsnbextension", "jupyterlab-widgets"})

#: the marker environment of Pyodide 314 (Python 3.14 on Emscripten)
PYODIDE_ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.14.2",
    "os_name": "posix",
    "platform_machine": "wasm32",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Emscripten",
    "platform_version": "",
    "python_full_version": "3.14.2",
    "python_version": "3.14",
    "sys_platform": "emscripten",
    "extra": "",
}


def normalize(name: str) -> str:
    """Return the PEP 503 normalised form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Wheel:
    """What the lock needs to know about one pure-Python wheel."""

    path: Path
    name: str
    version: str
    requires: tuple[str, ...]
    imports: tuple[str, ...]

    @property
    def key(self) -> str:
        """Return the lock key: the normalised distribution name."""
        return normalize(self.name)

    def depends(self) -> list[str]:
        """Normalised names of the run-time dependencies in Pyodide."""
        found = []
        for spec in self.requires:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate(PYODIDE_ENV):
                continue
            name = normalize(req.name)
            if name not in DROPPED and name not in found:
                found.append(name)
        return found

    def entry(self) -> dict[str, object]:
        """Return the ``pyodide-lock.json`` entry for this wheel."""
        return {
            "name": self.name,
            "version": self.version,
            "file_name": self.path.name,
            "install_dir": "site",
            "sha256": hashlib.sha256(self.path.read_bytes()).hexdigest(),
            "package_type": "package",
            "imports": list(self.imports),
            "depends": self.depends(),
            "unvendored_tests": False,
        }


def read_wheel(path: Path) -> Wheel:
    """Read name, version, requirements and top-level imports of a wheel."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
        top_level = f"{info}/top_level.txt"
        if top_level in names:
            imports = archive.read(top_level).decode().split()
        else:
            imports = sorted(
                {n.split("/")[0] for n in names if n.endswith("/__init__.py") and n.count("/") == 1}
                | {n[:-3] for n in names if "/" not in n and n.endswith(".py")}
            )
    return Wheel(
        path=path,
        name=meta["Name"],
        version=meta["Version"],
        requires=tuple(meta.get_all("Requires-Dist") or ()),
        imports=tuple(i for i in imports if not i.startswith("_")),
    )


def download(pins: dict[str, str | None], cache: Path) -> dict[str, Path]:
    """Download pure-Python wheels ``name==version`` (or the newest) into ``cache`` with pip."""
    cache.mkdir(parents=True, exist_ok=True)
    missing = {
        name: version
        for name, version in pins.items()
        if version is None or not _cached(cache, name, version)
    }
    if missing:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--platform=any",
                "--python-version=3.14",
                f"--dest={cache}",
                *(
                    name if ver is None else f"{name}=={ver}"
                    for name, ver in sorted(missing.items())
                ),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"pip download failed:\n{done.stdout}{done.stderr}")
    found = {}
    for name, version in pins.items():
        path = _cached(cache, name, version)
        if path is None:
            raise FileNotFoundError(f"pip did not fetch a pure-Python wheel of {name}=={version}")
        found[name] = path
    return found


def _cached(cache: Path, name: str, version: str | None) -> Path | None:
    stem = re.sub(r"[-_.]+", "_", name).lower()
    found = [
        path
        for path in cache.glob("*-none-any.whl")
        if path.name.split("-")[0].lower().replace(".", "_") == stem
        and version in (None, path.name.split("-")[1])
    ]
    return max(found, key=lambda p: p.stat().st_mtime, default=None)


def kernel_shims() -> list[Wheel]:
    """Find the wheels that the Pyodide kernel's labextension ships (``KERNEL_SHIMS``)."""
    from jupyter_core.paths import jupyter_path

    for base in jupyter_path("labextensions"):
        folder = Path(base, KERNEL_EXTENSION, "static", "pypi")
        wheels = [read_wheel(path) for path in sorted(folder.glob("*-none-any.whl"))]
        found = [wheel for wheel in wheels if wheel.key in KERNEL_SHIMS]
        if found:
            return found
    raise FileNotFoundError(f"no {KERNEL_EXTENSION} labextension with wheels is installed")


def resolve(lock: dict, local: list[Wheel], cache: Path) -> list[Wheel]:
    """Collect the wheels that the kernel and the ``local`` wheels need, dependencies included.

    A package in the Pyodide lock keeps the version pinned there. Any other one
    takes the version installed here, so that the widget's Python side matches
    the labextensions that the site build copies from this environment, or else
    the newest on PyPI.
    """
    packages = lock["packages"]
    wheels = {wheel.key: wheel for wheel in local}
    todo = [*KERNEL_ROOTS, *(dep for wheel in local for dep in wheel.depends())]
    while todo:
        batch: dict[str, str | None] = {}
        for name in todo:
            key = normalize(name)
            if key in wheels or key in batch or key in DROPPED:
                continue
            entry = packages.get(key)
            if entry is not None and not entry["file_name"].endswith("-none-any.whl"):
                raise ValueError(f"{key} needs a Pyodide build: {entry['file_name']}")
            batch[key] = entry["version"] if entry else _installed(key)
        todo = []
        for key, path in download(batch, cache).items():
            wheel = read_wheel(path)
            wheels[key] = wheel
            todo += wheel.depends()
    return sorted(wheels.values(), key=lambda w: w.key)


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def build(pyodide: Path, project_wheel: Path, cache: Path, out: Path) -> list[Wheel]:
    """Write the offline Pyodide distribution into ``out`` and return the shipped wheels."""
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    wheels = resolve(lock, [read_wheel(project_wheel), *kernel_shims()], cache)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(pyodide / name, out / name)
    for wheel in wheels:
        shutil.copy2(wheel.path, out / wheel.path.name)
    # only shipped wheels stay in the lock: an import of anything else fails
    # at once with ModuleNotFoundError instead of fetching a missing file
    lock["packages"] = {wheel.key: wheel.entry() for wheel in wheels}
    (out / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    return wheels


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyodide", type=Path, required=True, help="unpacked npm pyodide")
    parser.add_argument("--wheel", type=Path, required=True, help="the project's wheel")
    parser.add_argument("--cache", type=Path, required=True, help="download cache for wheels")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    for wheel in build(args.pyodide, args.wheel, args.cache, args.out):
        print(f"lock: {wheel.path.name}  imports={','.join(wheel.imports)}")


if __name__ == "__main__":
    main()
