"""Readers for the input formats of the load stage, one module per family of formats.

``load.read_file`` picks the reader by suffix (and by content for ``.xml``). Every reader yields
``Document``, ``Skipped`` and ``Notice`` items and never raises on bad input; everything it
returns is small and picklable, since readers run in worker processes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..models import Document, Notice, Skipped

LoadItem = Document | Skipped | Notice

# The parsing libraries log their doubts about odd pages as warnings. Every problem with an
# input is reported once as a Skipped or Notice, so they must not also reach stderr through
# logging's last-resort handler; an application that configures logging still gets them.
for _name in ("trafilatura", "htmldate", "courlan", "justext", "warcio", "charset_normalizer"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


@dataclass(frozen=True)
class ReadOptions:
    """Which record fields (JSON, JSON Lines, CSV) hold what; None picks the usual names.

    A field name may be a dotted path into nested objects (``source.name``).
    """

    id_field: str | None = None
    text_field: str | None = None
    title_field: str | None = None
    source_field: str | None = None
    date_field: str | None = None

    @classmethod
    def from_config(cls, config: object) -> ReadOptions:
        """The field mapping of a ScanConfig (or anything with the same attributes)."""
        return cls(**{name: getattr(config, name, None) for name in cls.__dataclass_fields__})


__all__ = ["LoadItem", "ReadOptions"]
