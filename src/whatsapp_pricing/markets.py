"""Markets: which rate-card row a customer's number is priced under, on a given day.

Meta prices by the customer's number, not by the business's country. The number's country comes
from ``phonenumbers`` (which knows that +1 809 is the Dominican Republic and +7 7xx Kazakhstan);
the country's market comes from Meta's market table, kept as data in ``data/markets.csv``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib.resources import files

import phonenumbers

from whatsapp_pricing.data_files import without_comments

OTHER = "Other"
"""The market of every country Meta's table does not list."""


@dataclass(frozen=True, slots=True)
class Membership:
    """One row of Meta's market table: a country belongs to a market between two days."""

    market: str
    country: str
    iso2: str
    first_day: date
    last_day: date | None

    def covers(self, day: date) -> bool:
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)


class MarketTable:
    """Meta's market table: country memberships with the days they apply."""

    def __init__(self, memberships: list[Membership]) -> None:
        self._by_country: dict[str, list[Membership]] = {}
        for membership in memberships:
            self._by_country.setdefault(membership.iso2, []).append(membership)

    def market_of_country(self, iso2: str | None, day: date) -> str:
        """The market a country (ISO 3166 code) belongs to on a day; unlisted ones are Other."""
        for membership in self._by_country.get(iso2 or "", ()):
            if membership.covers(day):
                return membership.market
        return OTHER

    def market_of(self, number: str, day: date) -> str:
        """The market of an E.164 number on a day."""
        return self.market_of_country(country_of(number), day)

    def markets(self, day: date) -> list[str]:
        """The markets with listed countries on a day, in alphabetical order."""
        return sorted(
            {
                membership.market
                for memberships in self._by_country.values()
                for membership in memberships
                if membership.covers(day)
            }
        )

    def countries(self, market: str, day: date) -> list[str]:
        """The countries listed under a market on a day (Other also takes every unlisted one)."""
        return sorted(
            membership.country
            for memberships in self._by_country.values()
            for membership in memberships
            if membership.market == market and membership.covers(day)
        )


def parse_markets_csv(text: str) -> MarketTable:
    """Reads a market table in the layout of ``data/markets.csv`` (``#`` lines are comments)."""
    rows = csv.DictReader(io.StringIO(without_comments(text)))
    return MarketTable(
        [
            Membership(
                market=row["market"],
                country=row["country"],
                iso2=row["iso2"],
                first_day=date.fromisoformat(row["from"]),
                last_day=date.fromisoformat(row["to"]) if row["to"] else None,
            )
            for row in rows
            if row["iso2"]
        ]
    )


@cache
def meta_markets() -> MarketTable:
    """The market table shipped with this package."""
    data = files("whatsapp_pricing") / "data" / "markets.csv"
    return parse_markets_csv(data.read_text(encoding="utf-8"))


def country_of(number: str) -> str | None:
    """The ISO 3166 country of an E.164 number, or ``None`` for non-geographic numbers.

    A number ``phonenumbers`` cannot place (for instance an unassigned range) falls back to the
    main country of its calling code, since Meta prices by calling code.
    """
    return _number_facts(number)[1]


def is_phone_number(number: str) -> bool:
    """Whether an E.164 string is a possible number with a real calling code."""
    return _number_facts(number)[0]


@lru_cache(maxsize=1 << 17)
def _number_facts(number: str) -> tuple[bool, str | None]:
    """Whether a number is possible, and its country; cached, as customers write many times."""
    parsed = _parse_e164(number)
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        return False, None
    region = phonenumbers.region_code_for_number(parsed)
    if region is None and parsed.country_code is not None:
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    return True, None if region in (None, phonenumbers.UNKNOWN_REGION, "001") else region


def _parse_e164(number: str) -> phonenumbers.PhoneNumber | None:
    """Splits ``+<calling code><national number>`` without ``phonenumbers.parse``.

    ``parse`` copes with any human formatting and costs about 30 microseconds; E.164 needs none
    of that, and calling codes are prefix-free, so the first known prefix is the calling code.
    """
    digits = number.removeprefix("+")
    if not digits.isdigit() or not number.startswith("+"):
        return None
    for length in (1, 2, 3):
        calling_code = int(digits[:length])
        if calling_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = digits[length:]
            if not national:
                return None
            leading_zeros = len(national) - len(national.lstrip("0"))
            return phonenumbers.PhoneNumber(
                country_code=calling_code,
                national_number=int(national),
                italian_leading_zero=leading_zeros > 0 or None,
                number_of_leading_zeros=leading_zeros if leading_zeros > 1 else None,
            )
    return None
