"""The canonical keys and accounting identities (data/report-schema.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class KeySpec:
    key: str
    table: str
    row: str
    column: str
    formats: frozenset[str]
    unit: str | None


@dataclass(frozen=True)
class Schema:
    version: int
    keys: dict[str, KeySpec]
    identities: tuple[dict, ...]

    def keys_for(self, formats: set[str] | frozenset[str]) -> list[str]:
        """Keys that exist in any of the given formats, in schema order."""
        return list(_keys_for(frozenset(formats)))

    def shared_keys(self) -> list[str]:
        """Keys both formats have, in schema order."""
        return list(_shared_keys())


@cache
def load_schema() -> Schema:
    data = resources.files("nianbao.parsers").joinpath("data/report-schema.json")
    raw = json.loads(data.read_text())
    keys = {
        k["key"]: KeySpec(k["key"], k["table"], k["row"], k["column"], frozenset(k["formats"]),
                          k["unit"])
        for k in raw["keys"]
    }
    return Schema(raw["version"], keys, tuple(raw["identities"]))


@cache
def _keys_for(formats: frozenset[str]) -> tuple[str, ...]:
    return tuple(k for k, spec in load_schema().keys.items() if spec.formats & formats)


@cache
def _shared_keys() -> tuple[str, ...]:
    return tuple(k for k, spec in load_schema().keys.items() if len(spec.formats) == 2)
