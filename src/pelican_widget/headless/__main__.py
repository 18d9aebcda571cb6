"""``python -m pelican_widget.headless``: the ``pelican-widget`` command."""

from .cli import run

run()
