"""Per-stage seconds of swdw on the same csv and xlsx, this tree against a base revision, run alternately.

    .venv/bin/python benchmarks/stages_ab.py [--base main] [--runs 3] [--rows 100000]

Each run is a fresh process with a scratch SWDW_HOME (its own embedded PostgreSQL) that takes a
50-row csv (warm-up), then the csv and the xlsx of --rows org_coverage rows through
`process_landing_file`, and reports the stage lines (`read`, `normalise`, `validate`, `load`) as
`bench.py` collects them. The base runs from `git archive <base>` unpacked in a temporary folder
and put first on sys.path, with this tree's virtualenv (so it must not need a package this tree
lacks). Runs alternate base, tree, base, tree…: a machine shared with other work moves the
absolute figures, so only the side-by-side medians are compared. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import STAGES  # noqa: E402

FILES = (("csv", "2024年12月.csv"), ("xlsx", "2024年9月.xlsx"))
SOURCE = "SWDW_STAGES_SOURCE"  # the base's unpacked files, for the child


def _one_run(workdir: Path) -> dict:
    """In the child: the files through swdw once; {kind: {stage: seconds}, "source": the ingest package run}."""
    import logging

    if SOURCE in os.environ:  # ahead of the tree bench.py put first
        sys.path.insert(0, os.environ[SOURCE])
    os.environ["SWDW_HOME"] = tempfile.mkdtemp(prefix="swdw-stages-home-")
    os.environ.setdefault("SWDW_PII_KEY", "benchmark")
    logging.basicConfig(level=logging.WARNING)
    from bench import StageTimes, _swdw_end_to_end

    stage_times = StageTimes()
    logging.getLogger("swdw").setLevel(logging.INFO)
    logging.getLogger("swdw.ingest").addHandler(stage_times)
    from ingest.quality.validation import get_context
    from ingest.warehouse.connection import bootstrap, stop_embedded

    try:
        bootstrap()
        get_context()
        landing = Path(tempfile.mkdtemp(prefix="swdw-stages-landing-"))
        _swdw_end_to_end(workdir / "small.csv", landing, "2024年10月.csv")
        for kind, name in FILES:
            _swdw_end_to_end(workdir / f"bench.{kind}", landing, name)
        import ingest

        return {"source": str(Path(ingest.__file__).parent), **{kind: stage_times.of(name) for kind, name in FILES}}
    finally:
        stop_embedded()


def _write_files(workdir: Path, count: int) -> None:
    from ingest_throughput import rows, write_csv, write_xlsx

    data = rows(count)
    write_csv(workdir / "small.csv", [[("2024-10" if i == 0 else c) for i, c in enumerate(r)] for r in data[:50]])
    write_csv(workdir / "bench.csv", data)
    write_xlsx(workdir / "bench.xlsx", [[("2024-09" if i == 0 else c) for i, c in enumerate(r)] for r in data])


def _source_of(base: str, into: Path) -> Path:
    """The base revision's files, unpacked from git."""
    archive = subprocess.run(["git", "archive", base], cwd=HERE.parent, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # one run over the files in this folder
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_one_run(args.child)))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="swdw-stages-"))
    _write_files(workdir, args.rows)
    base_source = _source_of(args.base, Path(tempfile.mkdtemp(prefix="swdw-stages-base-")))
    sides = {args.base: {SOURCE: str(base_source)}, "this tree": {}}
    results: dict[str, list[dict]] = {side: [] for side in sides}
    for run in range(args.runs):
        for side, env in sides.items():
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(workdir)],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode:
                raise SystemExit(f"{side}, run {run + 1} failed:\n{child.stderr[-3000:]}")
            results[side].append(json.loads(child.stdout.strip().splitlines()[-1]))
            print(f"  ({side}: {results[side][-1]['source']})", file=sys.stderr)
            line = "  ".join(
                f"{kind} " + " ".join(f"{results[side][-1][kind][s]:.2f}" for s in STAGES) for kind, _ in FILES
            )
            print(f"run {run + 1} {side:10} {line}", flush=True)
    print(f"medians [min-max] of {args.runs} runs, seconds, {args.rows:,} rows")
    for kind, _ in FILES:
        for stage in STAGES:
            cells = []
            for side in sides:
                values = [run[kind][stage] for run in results[side]]
                cells.append(f"{side} {statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]")
            print(f"  {kind:4} {stage:9}  " + "   ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
