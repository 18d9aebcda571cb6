"""Sample targets shipped in the package (see ``data/README.md`` for their licences)."""

from __future__ import annotations

import pathlib
from importlib import resources

# name -> file in the package's data folder
SAMPLES: dict[str, str] = {
    "pelican": "pelican.jpg",  # the public-domain engraving of the reference project
    "bird": "default_target.png",  # the synthetic bird, the widget's built-in target
}


def sample(name: str = "pelican") -> pathlib.Path:
    """Return the path of a sample image shipped with the package.

    Parameters
    ----------
    name : {"pelican", "bird"}
        ``"pelican"``: a vintage pelican engraving (public domain, 640 x 568
        grey JPEG), the target of the reference project's results.
        ``"bird"``: the synthetic bird that is the widget's built-in target.

    Returns
    -------
    pathlib.Path
        A file path, usable as a widget target (``PelicanWidget(sample())``)
        in CPython and in Pyodide alike; the widget's title is the name.

    Raises
    ------
    ValueError
        For an unknown name.

    """
    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r}; expected one of {', '.join(SAMPLES)}")
    path = resources.files(__package__).joinpath("data").joinpath(SAMPLES[name])
    return pathlib.Path(str(path))
