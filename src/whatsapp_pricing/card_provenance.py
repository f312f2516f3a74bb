"""Where each figure of a shipped rate card comes from, cell by cell.

A card's own header says its source and confidence (read by :mod:`whatsapp_pricing.rate_cards`).
This module reads the further ``# Key: value`` lines a card file may carry, so that the file
downloaded from the site says as much as the page does:

``# Read: 2026-11-25``
    the day the source was read.
``# Derived: Egypt Service from Utility (why)``
    a cell filled from another by a rule Meta states; the reason names the rule.
``# Copied: every market Authentication from Utility (why)``
    a cell filled from another without a rule of Meta's; the reason says why it is kept.
``# Single transcription: Netherlands every column (why)``
    cells that rest on one third-party transcription; ``every cell (why)`` marks a whole card.
``# Unconfirmed: Mexico Marketing (why)``
    cells whose change no text of Meta's confirms, only transcriptions of the card.
``# Missing: Hong Kong; Hungary (why)``
    markets Meta's card has that this file lacks, and why they could not be sourced.

A cell reference is a market (or ``every market``) followed by a column (or ``every column``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib.resources import files

from whatsapp_pricing.errors import RateCardError
from whatsapp_pricing.rate_cards import card_metadata
from whatsapp_pricing.vocabulary import VOCABULARY

EVERY_MARKET = "every market"
EVERY_COLUMN = "every column"
EVERY_CELL = "every cell"


class Mark(StrEnum):
    """What a reader should know about a cell beyond the card's own confidence."""

    DERIVED = "derived"
    COPIED = "copied"
    SINGLE_TRANSCRIPTION = "single transcription"
    UNCONFIRMED = "unconfirmed"


MARK_KEYS = {
    "derived": Mark.DERIVED,
    "copied": Mark.COPIED,
    "single transcription": Mark.SINGLE_TRANSCRIPTION,
    "unconfirmed": Mark.UNCONFIRMED,
}


@dataclass(frozen=True)
class CellNote:
    """One marked cell, a market's whole row, a column, or (``market`` and ``column`` both
    ``None``) every cell of the card."""

    mark: Mark
    market: str | None
    column: str | None
    why: str
    source_column: str | None = None
    """For a derived or copied cell, the column its value was taken from."""

    def covers(self, market: str, column: str) -> bool:
        return self.market in (None, market) and self.column in (None, column)


@dataclass(frozen=True)
class CardProvenance:
    """What a card file says of its figures beyond source and confidence."""

    read: date | None
    notes: tuple[CellNote, ...]
    missing: tuple[str, ...]
    """Markets of Meta's card that the file lacks."""
    missing_why: str

    def marks(self, market: str, column: str) -> list[CellNote]:
        """The notes on one cell, whole-card notes excluded (those are said once per card)."""
        return [
            note
            for note in self.notes
            if note.covers(market, column) and not (note.market is None and note.column is None)
        ]

    def column_marks(self, column: str) -> list[CellNote]:
        """The notes on a whole column (every market of it)."""
        return [note for note in self.notes if note.market is None and note.column == column]

    @property
    def card_notes(self) -> list[CellNote]:
        """Notes that hold for every cell of the card."""
        return [note for note in self.notes if note.market is None and note.column is None]


def parse_provenance(text: str) -> CardProvenance:
    """The provenance lines of a card file (its ``# Key: value`` header)."""
    metadata = card_metadata(text)
    notes = [
        _note(MARK_KEYS[key], entry)
        for key in MARK_KEYS
        for entry in filter(None, metadata.get(key, "").split("\n"))
    ]
    missing, why = _missing(metadata.get("missing", ""))
    read = metadata.get("read")
    return CardProvenance(
        read=date.fromisoformat(read) if read else None,
        notes=tuple(notes),
        missing=missing,
        missing_why=why,
    )


_COLUMNS = "|".join(map(re.escape, [*VOCABULARY.columns, EVERY_COLUMN]))
_CELL = re.compile(rf"^(.+?) ({_COLUMNS})(?: from ({_COLUMNS}))? \((.+)\)$")


def _note(mark: Mark, entry: str) -> CellNote:
    if entry.startswith(EVERY_CELL + " ("):
        return CellNote(mark, None, None, entry.removeprefix(EVERY_CELL + " (").removesuffix(")"))
    match = _CELL.match(entry)
    if match is None:
        raise RateCardError(
            f"cannot read the {mark} line {entry!r}: expected 'Market Column (why)'"
        )
    market, column, source, why = match.groups()
    if mark in (Mark.DERIVED, Mark.COPIED) and source is None:
        raise RateCardError(f"the {mark} line {entry!r} does not say which column it comes from")
    return CellNote(
        mark,
        None if market == EVERY_MARKET else market,
        None if column == EVERY_COLUMN else column,
        why,
        source or None,
    )


def _missing(entry: str) -> tuple[tuple[str, ...], str]:
    if not entry:
        return (), ""
    match = re.match(r"^(.+?) \((.+)\)$", entry.replace("\n", "; "))
    if match is None:
        raise RateCardError(f"cannot read 'Missing: {entry}': expected 'Market; Market (why)'")
    return tuple(market.strip() for market in match[1].split(";")), match[2]


@cache
def shipped_provenance() -> dict[str, CardProvenance]:
    """The provenance of every shipped card, by its file name."""
    folder = files("whatsapp_pricing") / "data" / "rate_cards"
    return {
        path.name: parse_provenance(path.read_text(encoding="utf-8"))
        for path in folder.iterdir()
        if path.name.endswith(".csv")
    }
