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

from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

from . import labels
from .schema import load_schema
from .text import label_key
from .values import Cell, parse_cell

MAX_TOKENS = 100_000  # cells (or text lines) in one document; the official tables have ~300


class TableError(ValueError):
    pass


class Token(NamedTuple):
    """One table cell (or, in text documents, one line) in reading order.

    A named tuple rather than a dataclass: a report has hundreds of cells and a frozen
    dataclass costs several times more to build."""

    text: str
    row: Hashable | None = None  # grid row identity, None for text
    col: int | None = None  # first grid column, None for text
    span: int = 1


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

    def __init__(self, out: TableReading) -> None:
        self.out = out
        self._columns: list[Column] = []
        self._index: dict[int, int | None] = {}  # grid column -> index in columns
        self.gridded = False  # whether any header column has a grid position
        self.row: str | None = None
        self.filled: set[int] = set()
        self.row_identity: Hashable | None = None

    @property
    def columns(self) -> list[Column]:
        return self._columns

    @columns.setter
    def columns(self, columns: list[Column]) -> None:
        self._columns, self._index = columns, {}
        self.gridded = any(c.col is not None for c in columns)

    def add_column(self, column: Column) -> None:
        self._columns.append(column)
        self._index = {}
        self.gridded = self.gridded or column.col is not None

    def grid_index(self, col: int) -> int | None:
        """The header column a grid column falls under (cached until the header changes)."""
        try:
            return self._index[col]
        except KeyError:
            pass
        found = None
        for i, c in enumerate(self._columns):
            if c.col is not None and c.col <= col < c.col + c.span:
                found = i
                break
        self._index[col] = found
        return found

    def start_row(self, row: str | None) -> None:
        self.row = row
        self.filled = set()

    def new_grid_row(self, identity: Hashable) -> None:
        """A new <tr>: a label from an earlier grid row no longer applies."""
        if identity != self.row_identity:
            self.row_identity = identity
            self.start_row(None)

    def column_order(self) -> list[Column]:
        return self._columns

    def value(self, token: Token, cell: Cell) -> None:
        if self.row is None:
            if cell.status == "number":
                self.out.notes.append(f"{self.table}: value {token.text!r} outside any row")
            return
        columns = self.column_order()
        index = None
        col = token.col
        if col is not None and columns is self._columns and self.gridded:
            index = self.grid_index(col)
        elif col is not None and any(c.col is not None for c in columns):
            index = next((i for i, c in enumerate(columns) if c.covers(col)), None)
        else:
            index = next((i for i in range(len(columns)) if i not in self.filled), None)
        if index is None or index in self.filled:
            if cell.status == "number":
                self.out.notes.append(f"{self.table}.{self.row}: extra value {token.text!r}")
            return
        self.filled.add(index)
        self.out.put(f"{self.table}.{self.row}.{columns[index].name}", cell)

    def label(self, token: Token, t: str) -> None:
        raise NotImplementedError


class _Active(_Section):
    table = "active"

    def __init__(self, out: TableReading) -> None:
        super().__init__(out)
        self.in_header = False

    def label(self, token: Token, t: str) -> None:
        if t.startswith("第二十条") or t == "信息内容":
            self.columns, self.in_header = [], True
            self.start_row(None)
            return
        column = labels.active_column(t)
        if column:
            if not self.in_header:
                self.columns, self.in_header = [], True
                self.start_row(None)
            self.add_column(Column(column, token.col, token.span))
            return
        row = labels.active_row(t)
        if row:
            self.in_header = False
            self.start_row(row)


class _Applications(_Section):
    table = "applications"

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

    def label(self, token: Token, t: str) -> None:
        column = labels.applicant_column(t)
        if column and (not self.body_started or column == "natural_person"):
            if self.body_started:  # a repeated header (a table continued on a new page)
                self.columns, self.org_columns, self.org_slot = [], [], None
                self.body_started = False
            self._add_column(column, token)
            return
        row = labels.application_row(t, self.group)
        if row:
            self.body_started = True
            self.start_row(row)
            return
        group = labels.application_group(t)
        if group:
            self.body_started = True
            self.group = group
            # 2019's （六）其他处理 is a row of its own; in 2021 it heads three sub-rows,
            # which replace this tentative row as soon as their labels appear.
            self.start_row("other.all" if group == labels.GROUP_OTHER else None)

    def _add_column(self, column: str, token: Token) -> None:
        if column == labels.ORG_GROUP:
            if token.col is None and self.org_slot is None:
                self.org_slot = len(self.columns)
            return
        is_org = column not in ("natural_person", "total")
        if token.col is None and is_org and self.org_slot is not None:
            self.org_columns.append(Column(column, None, 1))
        else:
            self.columns = [c for c in self.columns if c.col is None or c.col != token.col]
            self.add_column(Column(column, token.col, token.span))


class _Appeals(_Section):
    table = "appeals"

    def __init__(self, out: TableReading) -> None:
        super().__init__(out)
        self.groups: list[tuple[str, int | None, int, Hashable | None]] = []
        self.assigned: dict[str, set[str]] = {}
        self.closed_before = 0
        self.pending: list[tuple[Token, Cell]] = []
        self.row_has_values = False
        self.start_row("")  # the appeals table has one row of values and no row label

    def new_grid_row(self, identity: Hashable) -> None:
        if identity != self.row_identity:
            self.pending = []
            self.row_has_values = False
        self.row_identity = identity

    def label(self, token: Token, t: str) -> None:
        group = labels.appeal_group(t)
        if group:
            if group != labels.LITIGATION:
                self.groups.append((group, token.col, token.span, token.row))
            return
        outcome = labels.appeal_outcome(t)
        if outcome:
            name = self._group_for(outcome, token)
            if name:
                self.add_column(Column(f"{name}.{outcome}", token.col, token.span))

    def _group_for(self, outcome: str, token: Token) -> str | None:
        if token.col is not None:
            covering = [g for g in self.groups
                        if g[1] is not None and g[1] <= token.col < g[1] + g[2]]
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

    def value(self, token: Token, cell: Cell) -> None:
        self.row = self.row or ""
        if token.row is not None:
            # A blank slot of a header row (placeholders under merged headers, a header cut
            # by a page break) is no value: blanks count only in a row that prints a value.
            if cell.status == "blank" and not self.row_has_values:
                self.pending.append((token, cell))
                return
            if not self.row_has_values:
                self.row_has_values = True
                pending, self.pending = self.pending, []
                for earlier, blank in pending:
                    self._file(earlier, blank)
        elif cell.status == "blank" and not self.filled:
            return  # text without rows: blanks before the first value are placeholders
        self._file(token, cell)

    def _file(self, token: Token, cell: Cell) -> None:
        columns = self.column_order()  # the header's own columns: grid_index applies
        if token.col is None or not self.gridded:
            index = next((i for i in range(len(columns)) if i not in self.filled), None)
        else:
            index = self.grid_index(token.col)
        if index is None or index in self.filled:
            return
        self.filled.add(index)
        self.out.put(f"appeals.{columns[index].name}", cell)


_SECTIONS = {labels.ACTIVE: _Active, labels.APPLICATIONS: _Applications,
             labels.APPEALS: _Appeals}


def read_tables(tokens: list[Token]) -> TableReading:
    """File every value cell of the document under its canonical key."""
    if len(tokens) > MAX_TOKENS:
        raise TableError(f"{len(tokens)} table cells (limit {MAX_TOKENS})")
    out = TableReading()
    section: _Section | None = None
    current = None
    for token in tokens:
        t, cell = _read(token.text)
        if cell is None or cell.status != "number":
            heading = labels.section_heading(t) if token.col is None else None
            marker = heading or (labels.section_marker(t) if cell is None else None)
            if marker and marker != current:
                current = marker
                section = _SECTIONS[marker](out) if marker in _SECTIONS else None
        if section is None:
            continue
        if token.row is not None and token.row != section.row_identity:
            section.new_grid_row(token.row)  # most cells share the row of the one before
        if cell is None:
            section.label(token, t)
        else:
            section.value(token, cell)
    return out


@lru_cache(maxsize=65536)
def _read(text: str) -> tuple[str, Cell | None]:
    """A cell's text as a label (matching form) and as a value."""
    return label_key(text), parse_cell(text)


@cache
def _known_keys() -> frozenset[str]:
    return frozenset(load_schema().keys)


@cache
def _format_only() -> dict[str, str]:
    """Keys that exist in one format only, and that format."""
    return {k: next(iter(spec.formats)) for k, spec in load_schema().keys.items()
            if len(spec.formats) == 1}


def detect_format(values: dict[str, Cell]) -> str | None:
    """2019, 2021 or mixed, from which format-specific keys the tables printed."""
    only = _format_only()
    seen = {only[key] for key in values if key in only}
    if len(seen) == 1:
        return seen.pop()
    if seen:
        return "mixed"
    return None
