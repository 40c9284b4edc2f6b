"""A file's canonical records, held column by column.

The normaliser parses a column at a time, GX validates a frame of columns and the loader COPYs
rows of columns: held as columns, a 100,000-row file builds no dict per record on the way (0.2 s
of the file, and a dict of 15 keys is about 650 bytes a row). A record is still a dict when one
is asked for: by index, by iteration, or when a list of dicts is compared with the records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence


class Records(Sequence):
    """Equal-length columns by name (the normaliser's names in its order); read-only by contract."""

    __slots__ = ("_columns", "_length")

    def __init__(self, columns: dict[str, list] | None = None):
        self._columns = columns or {}
        lengths = {len(values) for values in self._columns.values()}
        assert len(lengths) <= 1, f"columns of different lengths: {sorted(lengths)}"
        self._length = lengths.pop() if lengths else 0

    @classmethod
    def of(cls, records: Records | Iterable[dict]) -> Records:
        """The records as they are, or a list of dicts (a test's, a caller's) taken column by column."""
        if isinstance(records, Records):
            return records
        rows = list(records)
        names = list(dict.fromkeys(name for row in rows for name in row))
        return cls({name: [row.get(name) for row in rows] for name in names})

    @property
    def names(self) -> list[str]:
        return list(self._columns)

    def column(self, name: str) -> list:
        """One column's values in record order (None throughout for a column the records do not have).
        The list itself, not a copy: callers read it."""
        found = self._columns.get(name)
        return found if found is not None else [None] * self._length

    def rows(self, names: Sequence[str]) -> Iterator[tuple]:
        """The named columns' values record by record, as tuples."""
        return zip(*(self.column(name) for name in names))

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("record index out of range")
        return {name: values[index] for name, values in self._columns.items()}

    def __iter__(self) -> Iterator[dict]:
        names = list(self._columns)
        return (dict(zip(names, values)) for values in zip(*self._columns.values()))

    def __eq__(self, other) -> bool:
        if isinstance(other, Records):
            return self._columns == other._columns
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # mutable columns: not hashable, like the list it stands for

    def __repr__(self) -> str:
        return f"Records({self._length} records: {', '.join(self._columns)})"
