"""The accounting identities of report-schema.json, evaluated on the values as printed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter, itemgetter

from .schema import Schema, load_schema
from .values import ABSENT, Cell


@dataclass(frozen=True)
class CheckFailure:
    identity: str  # the identity's name in report-schema.json
    key: str  # the total the identity checks (its left-hand side, or the 总计 it involves)
    keys: tuple[str, ...]
    lhs: int | float
    rhs: int | float

    def to_json(self) -> dict:
        return {"identity": self.identity, "key": self.key, "keys": list(self.keys),
                "lhs": self.lhs, "rhs": self.rhs}


def _instances(identity: dict, schema: Schema, present: set[str]):
    """Each identity with its {row}/{col}/{group} placeholder filled in."""
    if identity.get("for_each_row"):
        fills = sorted({k[len("applications."):-len(".total")] for k in present
                        if k.startswith("applications.") and k.endswith(".total")})
        name = "row"
    elif identity.get("for_each_column"):
        fills = sorted({k.rsplit(".", 1)[1] for k in schema.keys
                        if k.startswith("applications.received.")})
        name = "col"
    elif identity.get("for_each_group"):
        fills, name = identity["for_each_group"], "group"
    else:
        fills, name = [None], None
    for fill in fills:
        def sub(template: str, fill: str | None = fill) -> str:
            return template.replace("{" + name + "}", fill) if name else template
        lhs = [sub(k) for k in identity.get("lhs_sum", [identity.get("lhs")]) if k]
        rhs = [sub(k) for k in identity["rhs_sum"]]
        yield lhs, rhs


@lru_cache(maxsize=16)
def _plan(formats: frozenset[str], order: tuple[str, ...]) -> tuple[tuple, ...]:
    """Every identity instance of the formats: (name, the total it checks, keys present,
    and two getters that take the left- and right-hand values out of the report's values
    in ``order``). A key the formats lack counts as 0."""
    schema = load_schema()
    present = set(schema.keys_for(formats))
    position = {key: i for i, key in enumerate(order)}
    plan = []
    for identity in schema.identities:
        for lhs_keys, rhs_keys in _instances(identity, schema, present):
            lhs = tuple(k for k in lhs_keys if k in present)
            rhs = tuple(k for k in rhs_keys if k in present)
            subject = lhs_keys[0] if len(lhs_keys) == 1 else rhs_keys[0]
            plan.append((identity["name"], subject, lhs + rhs, _getter(lhs, position),
                         _getter(rhs, position)))
    return tuple(plan)


def _getter(keys: tuple[str, ...], position: dict[str, int]):
    """values -> tuple of the keys' values (None for a key the report does not hold)."""
    if any(key not in position for key in keys):
        indexes = [position.get(key) for key in keys]
        return lambda values: tuple(None if i is None else values[i] for i in indexes)
    if len(keys) == 1:
        index = position[keys[0]]
        return lambda values: (values[index],)
    return itemgetter(*(position[key] for key in keys))


_VALUE = attrgetter("value")


def check(values: dict[str, Cell], formats: set[str],
          unread: Collection[str] = ()) -> list[CheckFailure]:
    """Failed identities. A blank counts as 0; an identity with every cell blank is skipped.

    ``unread``: tables with a row the reader could not match (a label reported, not
    guessed). An identity over such a table that misses a cell is not decided: the cell
    may be on that row, and a failure would be the reader's, not the report's."""
    # The values by position, and getters made once per key order (a report's cells come
    # in schema order): ~40 identities a report cost a few µs each looked up by name.
    printed = list(map(_VALUE, values.values()))  # None: blank (or absent)
    failures = []
    for name, subject, keys, lhs_of, rhs_of in _plan(frozenset(formats), tuple(values)):
        lhs_cells, rhs_cells = lhs_of(printed), rhs_of(printed)
        if lhs_cells.count(None) == len(lhs_cells) and rhs_cells.count(None) == len(rhs_cells):
            continue
        if unread and any(values[k].status == ABSENT for k in keys if k in values
                          and k.split(".", 1)[0] in unread):
            continue
        # filter(None, …) leaves out blanks (and zeros, which add nothing).
        lhs = sum(filter(None, lhs_cells))
        rhs = sum(filter(None, rhs_cells))
        if abs(lhs - rhs) > 1e-9:
            failures.append(CheckFailure(name, subject, keys, lhs, rhs))
    return failures
