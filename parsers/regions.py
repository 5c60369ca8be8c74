"""Which district a report comes from, with its GB/T 2260 division code.

The code list (data/divisions.csv, province, city and county levels) is generated from a
published copy of the National Bureau of Statistics' division codes by
tools/update_divisions.py; nothing in it is typed by hand.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
_NOT_A_CITY = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@dataclass(frozen=True)
class Region:
    province: str | None
    city: str | None
    district: str | None
    division_code: str | None


@dataclass(frozen=True)
class _Division:
    code: str
    name: str
    level: str
    parent: str


class Divisions:
    def __init__(self, rows: list[_Division]) -> None:
        self.by_code = {d.code: d for d in rows}
        self.counties = [d for d in rows if d.level == "county" and d.name not in _NOT_A_CITY]
        self.cities = [d for d in rows if d.level == "city" and d.name not in _NOT_A_CITY]
        self.provinces = [d for d in rows if d.level == "province"]
        self._county_names = _NameIndex({d.name for d in self.counties})
        self._city_by_name: dict[str, list[_Division]] = {}
        for d in self.cities:
            for name in {d.name, _short(d.name)}:
                self._city_by_name.setdefault(name, []).append(d)
        self._city_names = _NameIndex(set(self._city_by_name))
        self._province_by_name = {d.name: d for d in self.provinces}
        self._province_names = _NameIndex(set(self._province_by_name))
        self._county_by_name: dict[str, list[_Division]] = {}
        for d in self.counties:
            self._county_by_name.setdefault(d.name, []).append(d)

    def region(self, division: _Division) -> Region:
        """The full region of a county or city."""
        if division.level == "province":
            return Region(division.name, None, None, division.code)
        parent = self.by_code.get(division.parent)
        if division.level == "city":
            return Region(parent.name if parent else None, division.name, None, division.code)
        city = parent
        province = self.by_code.get(city.parent) if city else None
        city_name = None
        if city and city.name not in _NOT_A_CITY and (province and province.code
                                                      not in MUNICIPALITIES):
            city_name = city.name
        return Region(province.name if province else None, city_name, division.name,
                      division.code)

    def find(self, text: str) -> Region | None:
        """The one district (else city, else province) the text names; None if unclear."""
        text = text[:4000]
        counties = self._county_names.find_all(text)
        if counties:
            # The first district named is the report's own; later ones are usually neighbours.
            best = self._best(self._county_by_name[counties[0]], text)
            return self.region(best) if best else None
        cities = {d.code: d for name in self._city_names.find_all(text)
                  for d in self._city_by_name[name]}
        if len(cities) == 1:
            return self.region(next(iter(cities.values())))
        provinces = set(self._province_names.find_all(text))
        if len(provinces) == 1:
            return self.region(self._province_by_name[provinces.pop()])
        return None

    def _best(self, candidates: list[_Division], text: str) -> _Division | None:
        def score(d: _Division) -> int:
            city = self.by_code.get(d.parent)
            province = self.by_code.get(city.parent) if city else None
            points = 0
            if city and city.name not in _NOT_A_CITY and _short(city.name) in text:
                points += 2
            if province and _short(province.name) in text:
                points += 1
            return points

        ranked = sorted(candidates, key=score, reverse=True)
        if len(ranked) > 1 and score(ranked[0]) == score(ranked[1]):
            return None  # the same district name in two places and nothing to tell them apart
        return ranked[0]


class _NameIndex:
    """Finds known names in text, leftmost and longest first, in one pass over the text.

    Names are indexed by their last character: only positions holding such a character
    (区, 县, 市 … for districts) are looked at, found by one character class, which is
    far quicker than a regular expression alternating over thousands of names.
    """

    def __init__(self, names: set[str]) -> None:
        self.names = names
        # The distinct lengths of the names ending in each character, longest first: a
        # position is tried once per length, not once per name (~1,400 districts end in 区).
        by_end: dict[str, set[int]] = {}
        for name in names:
            by_end.setdefault(name[-1], set()).add(len(name))
        self.lengths = {end: sorted(lengths, reverse=True) for end, lengths in by_end.items()}
        self.ends = re.compile("[" + "".join(map(re.escape, self.lengths)) + "]")

    def find_all(self, text: str) -> list[str]:
        found: list[tuple[int, int]] = []
        for match in self.ends.finditer(text):
            end = match.end()
            for length in self.lengths[match.group()]:
                start = end - length
                if start >= 0 and text[start:end] in self.names:
                    found.append((start, end))
                    break  # the longest name ending here
        found.sort(key=lambda span: (span[0], -span[1]))
        names, covered = [], 0
        for start, end in found:
            if start >= covered:  # not inside a longer name already taken
                names.append(text[start:end])
                covered = end
        return names


def _short(name: str) -> str:
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市",
                   "地区", "盟"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@cache
def divisions() -> Divisions:
    text = resources.files("parsers").joinpath("data/divisions.csv").read_text(encoding="utf-8")
    rows = [_Division(r["code"], r["name"], r["level"], r["parent"])
            for r in csv.DictReader(text.splitlines())]
    return Divisions(rows)
