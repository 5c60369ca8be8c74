"""From table cells to canonical keys: the template-driven heart of the parser.

The input is the document's cells in reading order (`Token`). Cells from a real grid
(HTML, DOCX) carry their column position; cells from plain text carry none. The reader
keeps, per section, the column headers it has seen (each a canonical column with its
position) and the row label in force, and files every value under
``<table>.<row>.<column>``. Rows are always found by their label and columns by their
header, so a stray number (a page number, say) can never shift the cells after it:
at worst it is dropped, with a note.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

from . import labels
from .schema import load_schema
from .text import label_key
from .values import BLANK, NUMBER, Cell, parse_cell

MAX_TOKENS = 100_000  # cells (or text lines) in one document; the official tables have ~300


class TableError(ValueError):
    pass


class Token(NamedTuple):
    """One table cell (or, in text documents, one line) in reading order.

    Readers on a hot path (HTML) build plain tuples in this field order instead: a
    report has hundreds of cells and ``Token(...)`` costs five times a tuple display.
    The reader unpacks both alike."""

    text: str
    row: Hashable | None = None  # grid row identity, None for text
    col: int | None = None  # first grid column, None for text
    span: int = 1


# A Token, or a plain tuple in its field order.
TokenTuple = tuple[str, Hashable | None, int | None, int]


@dataclass
class Column:
    name: str
    col: int | None
    span: int

    def covers(self, col: int) -> bool:
        return self.col is not None and self.col <= col < self.col + self.span


@dataclass
class TableReading:
    values: dict[str, Cell] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unread: set[str] = field(default_factory=set)  # tables with a row left unmatched

    def put(self, key: str, cell: Cell) -> None:
        if key not in _known_keys():
            self.notes.append(f"no canonical key {key} for {cell.raw!r}")
        elif key in self.values:
            self.notes.append(f"{key} printed twice; kept the first ({self.values[key].raw!r})")
        else:
            self.values[key] = cell


class _Section:
    """Common machinery: a header of columns, a row label, values filed as they come."""

    table = ""
    numbered_rows = False  # whether a numbered label (1. （二） 三、) always starts a row
    counted_rows = False  # whether values printed one a line wait for their row's end
    # Whether a value's key is prefix + the name of the header column over it, whatever
    # came before in the row (read_tables then files it directly).
    direct_values = True

    def __init__(self, out: TableReading) -> None:
        self.out = out
        self._columns: list[Column] = []
        # grid column -> (index in columns, column name) under a grid header; cleared
        # whenever the header changes. Only sections whose values go by the header alone
        # fill it (read_tables files a value found here directly).
        self.grid_slots: dict[int, tuple[int | None, str | None]] = {}
        self.gridded = False  # whether any header column has a grid position
        self.row: str | None = None
        self.prefix = ""  # the canonical key up to the column: "<table>.<row>."
        self.filled: set[int] = set()
        self.row_identity: Hashable | None = None
        self.taken: set[str] = set()  # rows read so far, and the last one
        self.last_row: str | None = None
        self.fragment = ""  # text: a label line that meant nothing alone (a label cut in two)
        # Values of a row printed one a line, with nothing to say which column each is in:
        # filed when the row ends, and only if the row prints one for every column.
        self.waiting: list[tuple[str, Cell]] = []

    @property
    def columns(self) -> list[Column]:
        return self._columns

    @columns.setter
    def columns(self, columns: list[Column]) -> None:
        self._columns, self.grid_slots = columns, {}
        self.gridded = any(c.col is not None for c in columns)

    def add_column(self, column: Column) -> None:
        self._columns.append(column)
        self.grid_slots = {}
        self.gridded = self.gridded or column.col is not None

    def start_row(self, row: str | None) -> None:
        if self.waiting:
            self.finish()
        self.row = row
        self.prefix = f"{self.table}.{row}."
        self.filled = set()
        if row:
            self.taken.add(row)
            self.last_row = row
        self.fragment = ""

    def unknown_label(self, t: str, col: int | None, group: str | None = None) -> None:
        """A label that names no row by its words: a misprint, or a label cut in two.

        Read by edit distance when exactly one template row is close and in place
        (`labels.match_row`); a row that is close to several, or out of place, is reported
        with its text and its values are not filed under any row.
        """
        if col is None and self.fragment:  # text: this line may continue the one before
            joined = labels.match_row(self.table, self.fragment + t, group,
                                      after=self.last_row, taken=self.taken)
            if joined.row:
                self.start_row(joined.row)
                return
        match = labels.match_row(self.table, t, group, after=self.last_row, taken=self.taken)
        if match.row:
            self.start_row(match.row)
            return
        if match.how in ("ambiguous", "out-of-place"):
            self.out.notes.append(f"{self.table}: row label {t!r} left unmatched ({match.why}: "
                                  f"{', '.join(match.near)})")
            self.out.unread.add(self.table)
            self.start_row(None)
        elif self.numbered_rows and _ROW_START.match(t) and not labels.section_marker(t):
            self.out.notes.append(f"{self.table}: row label {t!r} matches no template row")
            self.out.unread.add(self.table)
            self.start_row(None)
        self.fragment = t if col is None else ""

    def new_grid_row(self, identity: Hashable) -> None:
        """A new <tr>: a label from an earlier grid row no longer applies."""
        if identity != self.row_identity:
            self.row_identity = identity
            self.start_row(None)

    def column_order(self) -> list[Column]:
        return self._columns

    def _slot(self, col: int | None) -> tuple[int | None, str | None]:
        """The header column a value at grid column ``col`` (None: no grid) goes under."""
        columns = self.column_order()
        if col is not None and columns is self._columns and self.gridded:
            index = next((i for i, c in enumerate(columns) if c.covers(col)), None)
            slot = (index, None if index is None else columns[index].name)
            if self.direct_values:
                self.grid_slots[col] = slot  # depends on the header only
            return slot
        if col is not None and any(c.col is not None for c in columns):
            index = next((i for i, c in enumerate(columns) if c.covers(col)), None)
        else:
            index = next((i for i in range(len(columns)) if i not in self.filled), None)
        return index, None if index is None else columns[index].name

    def finish(self) -> None:
        """The row's values printed one a line are all in: file them if they fill the
        header's columns (or more: the extras are noted as usual); fewer cannot be placed
        (a blank cell printed as nothing), and are noted, not guessed."""
        waiting, self.waiting = self.waiting, []
        columns = len(self.column_order())
        if len(waiting) < columns and any(c.status == NUMBER for _t, c in waiting):
            self.out.notes.append(
                f"{self.table}.{self.row}: {len(waiting)} of {columns} values printed one a "
                f"line without blanks ({', '.join(t for t, _c in waiting)}): which columns "
                "they belong to cannot be told, not filed")
            return
        for text, cell in waiting:
            self._file_value(text, None, cell)

    def value(self, text: str, row: Hashable | None, col: int | None, cell: Cell) -> None:
        self.fragment = ""
        if self.counted_rows and row is None and col is None and self.row is not None:
            self.waiting.append((text, cell))
            return
        self._file_value(text, col, cell)

    def _file_value(self, text: str, col: int | None, cell: Cell) -> None:
        if self.row is None:
            if cell.status == NUMBER:
                self.out.notes.append(f"{self.table}: value {text!r} outside any row")
            return
        index, name = self.grid_slots.get(col) or self._slot(col)
        if index is None or index in self.filled:
            if cell.status == NUMBER:
                self.out.notes.append(f"{self.table}.{self.row}: extra value {text!r}")
            return
        self.filled.add(index)
        self.out.put(self.prefix + name, cell)

    def label(self, t: str, row: Hashable | None, col: int | None, span: int) -> None:
        raise NotImplementedError


class _Active(_Section):
    table = "active"

    def __init__(self, out: TableReading) -> None:
        super().__init__(out)
        self.in_header = False

    def label(self, t: str, row: Hashable | None, col: int | None, span: int) -> None:
        if t.startswith("第二十条") or t == "信息内容":
            self.columns, self.in_header = [], True
            self.start_row(None)
            return
        column = labels.active_column(t)
        if column:
            if not self.in_header:
                self.columns, self.in_header = [], True
                self.start_row(None)
            self.add_column(Column(column, col, span))
            return
        name = labels.active_row(t)
        if name:
            self.in_header = False
            self.start_row(name)
        elif self.columns:
            self.unknown_label(t, col)
            self.in_header = self.in_header and self.row is None


class _Applications(_Section):
    table = "applications"
    numbered_rows = True
    counted_rows = True

    def __init__(self, out: TableReading) -> None:
        super().__init__(out)
        self.group: str | None = None
        self.body_started = False
        self.org_slot: int | None = None  # where 法人或其他组织's columns go, in text
        self.org_columns: list[Column] = []

    def column_order(self) -> list[Column]:
        if self.org_slot is None:
            return self._columns
        return self.columns[: self.org_slot] + self.org_columns + self.columns[self.org_slot:]

    def label(self, t: str, row: Hashable | None, col: int | None, span: int) -> None:
        if self.waiting:  # a row's values end at the next label
            self.finish()
        column = labels.applicant_column(t)
        if column and (not self.body_started or column == "natural_person"):
            if self.body_started:  # a repeated header (a table continued on a new page)
                self.columns, self.org_columns, self.org_slot = [], [], None
                self.body_started = False
            self._add_column(column, col, span)
            return
        name = labels.application_row(t, self.group)
        if name:
            self.body_started = True
            self.start_row(name)
            return
        group = labels.application_group(t)
        if group:
            self.body_started = True
            self.group = group
            # 2019's （六）其他处理 is a row of its own; in 2021 it heads three sub-rows,
            # which replace this tentative row as soon as their labels appear.
            self.start_row("other.all" if group == labels.GROUP_OTHER else None)
            return
        self.unknown_label(t, col, self.group)
        self.body_started = self.body_started or self.row is not None

    def _add_column(self, column: str, col: int | None, span: int) -> None:
        self.grid_slots = {}  # the org columns below change the column order too
        if column == labels.ORG_GROUP:
            if col is None and self.org_slot is None:
                self.org_slot = len(self.columns)
            return
        is_org = column not in ("natural_person", "total")
        if col is None and is_org and self.org_slot is not None:
            self.org_columns.append(Column(column, None, 1))
        else:
            self.columns = [c for c in self.columns if c.col is None or c.col != col]
            self.add_column(Column(column, col, span))


class _Appeals(_Section):
    table = "appeals"
    direct_values = False  # blanks wait for the row's first number (value below)

    def __init__(self, out: TableReading) -> None:
        super().__init__(out)
        self.groups: list[tuple[str, int | None, int, Hashable | None]] = []
        self.assigned: dict[str, set[str]] = {}
        self.closed_before = 0
        self.pending: list[tuple[int | None, Cell]] = []
        self.row_has_values = False
        self.start_row("")  # the appeals table has one row of values and no row label

    def new_grid_row(self, identity: Hashable) -> None:
        if identity != self.row_identity:
            self.pending = []
            self.row_has_values = False
        self.row_identity = identity

    def label(self, t: str, row: Hashable | None, col: int | None, span: int) -> None:
        group = labels.appeal_group(t)
        if group:
            if group != labels.LITIGATION:
                self.groups.append((group, col, span, row))
            return
        outcome = labels.appeal_outcome(t)
        if outcome:
            name = self._group_for(outcome, col)
            if name:
                self.add_column(Column(f"{name}.{outcome}", col, span))

    def _group_for(self, outcome: str, col: int | None) -> str | None:
        if col is not None:
            covering = [g for g in self.groups
                        if g[1] is not None and g[1] <= col < g[1] + g[2]]
            return covering[-1][0] if covering else None
        # Text: outcomes fill the groups in the order their headers appeared.
        order = [g[0] for g in self.groups] or list(labels.APPEAL_GROUPS)
        for index in range(self.closed_before, len(order)):
            taken = self.assigned.setdefault(order[index], set())
            if outcome not in taken:
                taken.add(outcome)
                self.closed_before = index
                return order[index]
        return None

    def value(self, text: str, row: Hashable | None, col: int | None, cell: Cell) -> None:
        self.row = self.row or ""
        if row is not None:
            # A blank slot of a header row (placeholders under merged headers, a header cut
            # by a page break) is no value: blanks count only in a row that prints a value.
            if cell.status == BLANK and not self.row_has_values:
                self.pending.append((col, cell))
                return
            if not self.row_has_values:
                self.row_has_values = True
                pending, self.pending = self.pending, []
                for earlier, blank in pending:
                    self._file(earlier, blank)
        elif cell.status == BLANK and not self.filled:
            return  # text without rows: blanks before the first value are placeholders
        self._file(col, cell)

    def _file(self, col: int | None, cell: Cell) -> None:
        columns = self.column_order()  # the header's own columns: _slot applies
        if col is None or not self.gridded:
            index = next((i for i in range(len(columns)) if i not in self.filled), None)
        else:
            index = self._slot(col)[0]
        if index is None or index in self.filled:
            return
        self.filled.add(index)
        self.out.put(f"appeals.{columns[index].name}", cell)


_ROW_START = re.compile(
    r"^(?:[一二三四五六七八九十]+、|\(?[一二三四五六七八九十]+\)|\(?\d{1,2}\)?[.、])")
_SECTIONS = {labels.ACTIVE: _Active, labels.APPLICATIONS: _Applications,
             labels.APPEALS: _Appeals}


def read_tables(tokens: list[TokenTuple]) -> TableReading:
    """File every value cell of the document under its canonical key."""
    if len(tokens) > MAX_TOKENS:
        raise TableError(f"{len(tokens)} table cells (limit {MAX_TOKENS})")
    out = TableReading()
    values, known = out.values, _known_keys()
    section: _Section | None = None
    current = None
    for text, row, col, span in tokens:
        t, cell, number, grid_marker, text_marker = _read(text)
        if not number:
            marker = text_marker if col is None else grid_marker
            if marker and marker != current:
                current = marker
                if section is not None:
                    section.finish()
                section = _SECTIONS[marker](out) if marker in _SECTIONS else None
        if section is None:
            continue
        if row is not None and row != section.row_identity:
            section.new_grid_row(row)  # most cells share the row of the one before
        if cell is None:
            section.label(t, row, col, span)
            continue
        # Most of a report's cells are numbers under a grid header in a labelled row:
        # filed here, without the method calls of the general path (half the time).
        if number and section.row is not None:
            slot = section.grid_slots.get(col)
            if slot is not None and slot[0] is not None and slot[0] not in section.filled:
                key = section.prefix + slot[1]
                if key in known and key not in values:
                    section.filled.add(slot[0])
                    values[key] = cell
                    continue
        section.value(text, row, col, cell)
    if section is not None:
        section.finish()
    return out


@lru_cache(maxsize=65536)
def _read(text: str) -> tuple[str, Cell | None, bool, str | None, str | None]:
    """A cell's text as a label (matching form), as a value, whether that value is a
    number, and the section it marks in a grid and in text."""
    t, cell = label_key(text), parse_cell(text)
    grid_marker = labels.section_marker(t) if cell is None else None
    text_marker = labels.section_heading(t) or grid_marker
    return t, cell, cell is not None and cell.status == NUMBER, grid_marker, text_marker


@cache
def _known_keys() -> frozenset[str]:
    return frozenset(load_schema().keys)


@cache
def _format_only() -> dict[str, frozenset[str]]:
    """Each format's own keys (those the other format does not have)."""
    keys: dict[str, set[str]] = {}
    for key, spec in load_schema().keys.items():
        if len(spec.formats) == 1:
            keys.setdefault(next(iter(spec.formats)), set()).add(key)
    return {fmt: frozenset(own) for fmt, own in keys.items()}


def detect_format(values: dict[str, Cell]) -> str | None:
    """2019, 2021 or mixed, from which format-specific keys the tables printed."""
    seen = [fmt for fmt, own in _format_only().items() if not own.isdisjoint(values)]
    if len(seen) == 1:
        return seen[0]
    if seen:
        return "mixed"
    return None
