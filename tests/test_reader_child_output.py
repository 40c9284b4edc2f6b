"""The calamine child's output crosses as Arrow IPC: every cell comes back with its value and type,
and output a compromised child could write is refused as an unreadable file, never taken."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import pickle
import subprocess
import sys

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.intake import readers
from ingest.intake.errors import SubmissionError

CELLS = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
    st.sampled_from(["", "是", "否", "相山"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.timedeltas(),  # days within ±999,999,999: an int32
)


def _encode(grid: list[list], merged=(), names=("Sheet1",)) -> bytes:
    """The child's encoder (its own source, run here in-process on a given grid)."""
    source = readers._CALAMINE_CHILD
    namespace: dict = {}
    exec(source[source.index("TIMEDELTA = ") : source.index("arrays = []\ndata =")], _child_globals(namespace))
    arrays = [namespace["column"](list(cells)) for cells in zip(*grid)]
    result = {"kind": "grid", "rows": len(grid), "merged": [list(map(list, a)) for a in merged], "names": list(names)}
    return _stream(arrays, result)


def _child_globals(namespace: dict) -> dict:
    import numpy as np

    namespace.update(dt=dt, np=np, pa=pa)
    return namespace


def _stream(arrays, result) -> bytes:
    fields = [pa.field(str(n), array.type) for n, array in enumerate(arrays)]
    batch = pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, metadata={"swdw": json.dumps(result)}))
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, batch.schema) as stream:
        stream.write_batch(batch)
    return sink.getvalue()


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda w: st.lists(st.lists(CELLS, min_size=w, max_size=w), max_size=12)
    )
)
def test_every_cell_keeps_its_value_and_type(grid):
    result, rows = readers.child_output(_encode(grid), readers._Shape())
    assert result["kind"] == "grid"
    assert len(rows) == len(grid)
    for got, sent in zip(rows, grid):
        assert len(got) == len(sent)
        assert all(map(_same, got, sent)), (got, sent)


def test_a_workbook_reads_back_through_the_child():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["名称", "数量", "日期"])
    sheet.append(["甲", 3, dt.datetime(2024, 5, 6, 7, 8, 9)])
    sheet.append(["乙", 2.5, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    grid = readers.read_grid(buffer.getvalue(), "a.xlsx")
    assert grid[0] == ["名称", "数量", "日期"]
    assert grid[1][0] == "甲" and grid[1][1] == 3 and grid[1][2] == dt.datetime(2024, 5, 6, 7, 8, 9)
    assert grid[2][:2] == ["乙", 2.5]


def _compressed() -> bytes:
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["x" * 1000] * 100)],
        schema=pa.schema(
            [pa.field("0", pa.string())],
            metadata={"swdw": json.dumps({"kind": "grid", "rows": 100, "merged": [], "names": []})},
        ),
    )
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, batch.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as stream:
        stream.write_batch(batch)
    return sink.getvalue()


def _with_outcome(**outcome) -> bytes:
    return _stream([pa.array(["a", "b"])], {"kind": "grid", "rows": 2, "merged": [], "names": [], **outcome})


HOSTILE = {
    "empty": b"",
    "garbage": b"\xff" * 64,
    "a pickle": pickle.dumps(("grid", [["a"]], [], [])),
    "cut short": _encode([["a", 1.0]] * 50)[:-40],
    "compressed": _compressed(),
    "a binary column": _stream([pa.array([b"\x00"])], {"kind": "grid", "rows": 1, "merged": [], "names": []}),
    "a struct not a duration": _stream(
        [pa.array([{"x": 1}], pa.struct([("x", pa.int64())]))], {"kind": "grid", "rows": 1, "merged": [], "names": []}
    ),
    "a nested column": _stream([pa.array([[1]])], {"kind": "grid", "rows": 1, "merged": [], "names": []}),
    "no outcome": _stream([pa.array(["a"])], {}).replace(b"swdw", b"xxxx"),
    "rows disagree": _with_outcome(rows=7),
    "merged not areas": _with_outcome(merged=[["a"]]),
    "names not text": _with_outcome(names=[1]),
    "too many rows": _stream([pa.array([None] * 10)], {"kind": "grid", "rows": 10, "merged": [], "names": []}),
}


@pytest.mark.parametrize("case", HOSTILE, ids=str)
def test_hostile_child_output_is_an_unreadable_file(case, monkeypatch):
    monkeypatch.setenv("SWDW_MAX_ROWS", "5")
    with pytest.raises(SubmissionError) as caught:
        readers.child_output(HOSTILE[case], readers._Shape())
    assert caught.value.rule in ("unreadable_file", "too_many_rows")


def test_a_union_offset_past_its_child_is_refused():
    union = pa.UnionArray.from_dense(
        pa.array([0, 0], pa.int8()), pa.array([0, 5], pa.int32()), [pa.array(["a"])], type_codes=[0]
    )
    with pytest.raises(SubmissionError) as caught:
        readers.child_output(_stream([union], {"kind": "grid", "rows": 2, "merged": [], "names": []}), readers._Shape())
    assert caught.value.rule == "unreadable_file"


def test_the_child_runs_under_its_memory_limit():
    """pyarrow's import and allocator inside the child's address-space limit."""
    run = subprocess.run(
        [sys.executable, "-I", "-c", readers._CALAMINE_CHILD, str(readers.EXCEL_MEMORY_BYTES), "10", "10", "100", "0"],
        input=b"not a workbook",
        capture_output=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result, _ = readers.child_output(run.stdout, readers._Shape())
    assert result["kind"] == "error"
