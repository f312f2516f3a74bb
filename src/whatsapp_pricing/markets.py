"""Markets: which rate-card row a customer's number is priced under, on a given day.

Meta prices by the customer's number, not by the business's country. The number's country comes
from ``phonenumbers`` (which knows that +1 809 is the Dominican Republic and +7 7xx Kazakhstan);
the country's market comes from Meta's market table, kept as data in ``data/markets.csv``.

Customers are named as Meta's webhooks name them: by number in E.164 form, by a WhatsApp id in
an older national form that ``phonenumbers`` calls impossible (Mexican mobiles as ``+521`` and
ten digits), or, when a customer with a username withholds the number, by a business-scoped
user id (``BR.1502576394655843``; ``US.ENT.…`` for a parent id) whose first two letters are the
country. Whichever the name, the country decides the market.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib.resources import files
from typing import Final

import phonenumbers

from whatsapp_pricing.data_files import without_comments

OTHER = "Other"
"""The market of every country Meta's table does not list."""
READINGS_SEPARATOR = " or "
"""Joins the markets a number may have been priced under when Meta's table allows more than one
reading (``Russia or Other``): the engine prices each and charges only where they agree."""
SHARES_CALLING_CODE = {"KZ": "RU"}
"""Countries that share a calling code with a country Meta's table lists by that code alone.

Meta prices by the recipient's calling code, and its table gave +7 as Russia's; Kazakhstan, also
+7, was not listed until it got a market of its own. On the days before, the table can be read
two ways: Russia (the calling code) or Other (an unlisted country; Kazakhstan's later rates fit
Other better). Neither is confirmed, so such a number's market names both readings.
"""
EARLIEST_LISTED = date(2023, 6, 1)
"""The first day of the sourced market table. Earlier days (2022-02-01 to 2023-05-31, when no
rate is sourced either) take the table as it stood then: Meta's 2022 list was not found."""


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
        """The market a country (ISO 3166 code) belongs to on a day; unlisted ones are Other,
        and an unlisted one that shares a listed country's calling code names both readings."""
        if day < EARLIEST_LISTED:
            day = EARLIEST_LISTED
        listed = self._listed(iso2, day)
        if listed is not None:
            return listed
        sharer = SHARES_CALLING_CODE.get(iso2 or "")
        by_code = self._listed(sharer, day) if sharer else None
        if by_code is None:
            return OTHER
        return READINGS_SEPARATOR.join((by_code, OTHER))

    def _listed(self, iso2: str | None, day: date) -> str | None:
        for membership in self._by_country.get(iso2 or "", ()):
            if membership.covers(day):
                return membership.market
        return None

    def market_of(self, number: str, day: date) -> str:
        """The market of a customer (by number or business-scoped user id) on a day."""
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

    def memberships(self) -> list[Membership]:
        """Every row of the table, by country name, then by first day."""
        return sorted(
            (membership for rows in self._by_country.values() for membership in rows),
            key=lambda membership: (membership.country, membership.first_day),
        )

    def members(self, day: date) -> list[Membership]:
        """Every country listed on a day, with its market, in order of the country's name."""
        return sorted(
            (
                membership
                for memberships in self._by_country.values()
                for membership in memberships
                if membership.covers(day)
            ),
            key=lambda membership: membership.country,
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


def readings(market: str) -> tuple[str, ...]:
    """The markets a market name stands for: one, or each reading Meta's table allows."""
    return tuple(market.split(READINGS_SEPARATOR))


@cache
def meta_markets() -> MarketTable:
    """The market table shipped with this package."""
    data = files("whatsapp_pricing") / "data" / "markets.csv"
    return parse_markets_csv(data.read_text(encoding="utf-8"))


BSUID = re.compile(r"(?P<country>[A-Z]{2})\.(?:ENT\.)?[A-Za-z0-9]{1,128}")
"""A business-scoped user id: a country, a period, ``ENT.`` for a parent id, then the id."""
NATIONAL_FORMS: Final = {"+521": ("+52", 14)}
"""WhatsApp ids in an older national form, as Meta writes them: the prefix, what it stands for
in E.164, and the length of the id (``+521`` and ten digits is a Mexican mobile)."""
BRAZILIAN_MOBILE_FIRST_DIGITS = "6789"
"""A Brazilian mobile as it was before every mobile got a ninth digit (a 9 in front): an area
code, then eight digits starting 6 to 9, which no fixed line starts with."""


def e164(customer: str) -> str:
    """A WhatsApp id in today's E.164 form, so that both forms of an id are one customer:
    ``+5215512345678`` is ``+525512345678``, ``+551187654321`` is ``+5511987654321``."""
    for prefix, (e164_prefix, length) in NATIONAL_FORMS.items():
        if len(customer) == length and customer.startswith(prefix):
            return e164_prefix + customer[len(prefix) :]
    if (
        len(customer) == 13
        and customer.startswith("+55")
        and customer[5] in BRAZILIAN_MOBILE_FIRST_DIGITS
        and customer[3] != "0"
    ):
        return f"{customer[:5]}9{customer[5:]}"
    return customer


def country_of(customer: str) -> str | None:
    """The ISO 3166 country of a customer, or ``None`` for non-geographic numbers.

    A number ``phonenumbers`` cannot place (for instance an unassigned range) falls back to the
    main country of its calling code, since Meta prices by calling code.
    """
    return _customer_facts(customer)[1]


def is_customer_id(customer: str) -> bool:
    """Whether a customer's id is one Meta could send: a possible number with a real calling
    code (E.164 or an older national form), or a business-scoped user id of a real country."""
    return _customer_facts(customer)[0]


_CALLING_CODES: Final[dict[int, tuple[str, ...]]] = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
_REGIONS: Final[set[str]] = phonenumbers.SUPPORTED_REGIONS
"""phonenumbers' tables, read as constants: compiled, ``phonenumbers.NAME`` is a lookup in the
module each time (for every new customer of a log)."""
FACTS_KEPT: Final = 1 << 17
"""How many customers' facts :func:`_customer_facts` keeps; past that, it starts anew."""
_FACTS: Final[dict[str, tuple[bool, str | None]]] = {}


def _customer_facts(customer: str) -> tuple[bool, str | None]:
    """Whether an id is possible, and its country; kept, as customers write many times.

    Kept in a plain dict, which compiled code reads directly: an ``lru_cache`` costs a call of
    a Python object and a move in its list of recent entries at each of a log's lines that
    names a customer (two or three for each message). A log with more customers than it keeps
    starts again with none (what an ``lru_cache`` evicts is as unlikely to come back soon).
    """
    facts = _FACTS.get(customer)
    if facts is None:
        if len(_FACTS) >= FACTS_KEPT:
            _FACTS.clear()
        facts = _FACTS[customer] = _facts_anew(customer)
    return facts


def _facts_anew(customer: str) -> tuple[bool, str | None]:
    """What :func:`_customer_facts` keeps, worked out.

    A log names a new customer every few lines, so a number is told without ``phonenumbers``
    parsing it where its calling code has one country (most): whether a number is possible
    depends only on its calling code and its length, which are cached on their own.
    """
    # A number (the most) is told from an id by its "+", without a match of the pattern.
    bsuid = None if customer.startswith("+") else BSUID.fullmatch(customer)
    if bsuid is not None:
        country = bsuid["country"]
        return country in _REGIONS, country
    split = _split_e164(e164(customer))
    if split is None:
        return False, None
    calling_code, national = split
    regions = _CALLING_CODES[calling_code]
    if len(regions) > 1:
        return _facts_of(_phone_number(calling_code, national))
    zeros = len(national) - len(national.lstrip("0"))
    # The length phonenumbers reads: its national significant number, leading zeros and all.
    if not _possible_length(calling_code, zeros + len(str(int(national)))):
        return False, None
    return True, _country(regions[0])


@lru_cache(maxsize=4096)
def _possible_length(calling_code: int, length: int) -> bool:
    """Whether a number of ``length`` digits after ``calling_code`` is possible (any such
    number says, as only the length is checked)."""
    return phonenumbers.is_possible_number(_phone_number(calling_code, "1" * length))


def _facts_of(parsed: phonenumbers.PhoneNumber) -> tuple[bool, str | None]:
    """Whether a parsed number is possible, and its country, as ``phonenumbers`` tells them."""
    if not phonenumbers.is_possible_number(parsed):
        return False, None
    region = phonenumbers.region_code_for_number(parsed)
    if region is None and parsed.country_code is not None:
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    return True, _country(region)


def _country(region: str | None) -> str | None:
    """A region of ``phonenumbers`` as a country: none for the non-geographic ``001``."""
    return None if region in (None, phonenumbers.UNKNOWN_REGION, "001") else region


def _split_e164(number: str) -> tuple[int, str] | None:
    """Splits ``+<calling code><national number>`` without ``phonenumbers.parse``.

    ``parse`` copes with any human formatting and costs about 30 microseconds; E.164 needs none
    of that, and calling codes are prefix-free, so the first known prefix is the calling code.
    """
    digits = number.removeprefix("+")
    if not digits.isdigit() or not number.startswith("+"):
        return None
    for length in (1, 2, 3):
        calling_code = int(digits[:length])
        if calling_code in _CALLING_CODES:
            national = digits[length:]
            return (calling_code, national) if national else None
    return None


def _phone_number(calling_code: int, national: str) -> phonenumbers.PhoneNumber:
    leading_zeros = len(national) - len(national.lstrip("0"))
    return phonenumbers.PhoneNumber(
        country_code=calling_code,
        national_number=int(national),
        italian_leading_zero=leading_zeros > 0 or None,
        number_of_leading_zeros=leading_zeros if leading_zeros > 1 else None,
    )
