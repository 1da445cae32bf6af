"""``python -m dupdetect`` runs the command-line interface."""

from .cli import cli

cli()
