"""Full garbage collections are held off while a file is evaluated, and only then (ingest.collector)."""

from __future__ import annotations

import datetime as dt
import gc

import pytest

from ingest.collector import NEVER, full_collections_held
from ingest.intake.errors import SubmissionError
from ingest.intake.landing import LandingFile
from ingest.quality.evaluation import evaluate

from .builders import ORG_HEADER, org_row, write_csv


def _full_collections_while(work) -> int:
    """How many oldest-generation collections started while ``work`` ran."""
    started = []

    def note(phase, info):
        if phase == "start" and info["generation"] == 2:
            started.append(info)

    gc.callbacks.append(note)
    try:
        work()
    finally:
        gc.callbacks.remove(note)
    return len(started)


def _grow_the_heap():
    """Long-lived containers: half again what the heap holds, well past the quarter that starts a full collection."""
    kept = [[n] for n in range(len(gc.get_objects()) // 2 + 200_000)]
    return len(kept)


def test_no_full_collection_while_held_and_the_thresholds_come_back():
    before = gc.get_threshold()
    assert _full_collections_while(_grow_the_heap) >= 1  # the same work, not held: the control
    with full_collections_held():
        assert gc.get_threshold() == (before[0], before[1], NEVER)
        assert _full_collections_while(_grow_the_heap) == 0
    assert gc.get_threshold() == before


def test_nested_holders_restore_once_at_the_last_exit():
    before = gc.get_threshold()
    with full_collections_held():
        with full_collections_held():
            pass
        assert gc.get_threshold()[2] == NEVER  # the outer holder is still inside
    assert gc.get_threshold() == before


def test_a_file_is_evaluated_with_full_collections_held(swdw_home, tmp_path):
    """Every collection during evaluate() sees the held threshold, and the thresholds come back after."""
    path = write_csv(
        tmp_path / "xiangshan" / "org_coverage" / "2024年12月.csv", [ORG_HEADER] + [org_row(n) for n in range(1, 400)]
    )
    landing_file = LandingFile(str(path), "xiangshan", "org_coverage", path.name, path.stat().st_mtime)
    thresholds = []

    def note(phase, info):
        if phase == "start":
            thresholds.append(gc.get_threshold()[2])

    before = gc.get_threshold()
    gc.callbacks.append(note)
    try:
        evaluation = evaluate(landing_file, path.read_bytes(), 1, dt.date(2025, 1, 10))
    finally:
        gc.callbacks.remove(note)
    assert evaluation.accepted and len(evaluation.records) == 399
    assert thresholds and set(thresholds) == {NEVER}
    assert gc.get_threshold() == before
    with pytest.raises(SubmissionError):  # a whole-file rejection leaves the thresholds as they were too
        evaluate(landing_file, b"PK\x03\x04 a workbook named .csv", 2, dt.date(2025, 1, 10))
    assert gc.get_threshold() == before
