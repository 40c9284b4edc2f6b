"""The performance harness behind `make bench`: swdw beside its anchors, on the same rows and warehouse.

    .venv/bin/python benchmarks/bench.py [--rows 100000] [--runs 3] [--history 1000] [--rss-rows 500000]

Prints, in one run against one warehouse (a scratch embedded PostgreSQL unless
SWDW_WAREHOUSE_DSN is set): a raw COPY of the CSV (the limit), a naive pandas.read_csv +
to_sql, a naive pandas.read_excel(openpyxl) + to_sql, swdw end to end for csv and xlsx
(register, read, normalise, GX validation with its Data Docs page, load), each --runs times
(the medians, with each run's min and max and its ratios side by side), the ratios, the
peak RSS of swdw on a file of --rss-rows rows (in a child process), and swdw's per-file
validation cost after 10, 100 and 1,000 prior validations. Asserts nothing. Its last line is
machine-readable:

    ratios: csv_vs_copy=<x> csv_vs_naive=<x> xlsx_vs_naive=<x> docs_growth_1000_vs_10=<x> peak_rss_mb_500k=<n>
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_throughput import HEADER, rows, write_csv, write_xlsx


def _say(text: str) -> None:
    print(f"  ... {text}", file=sys.stderr, flush=True)


STAGES = ("read", "normalise", "validate", "load")
# what each run times, by its key and its line in the table
ANCHORS = (
    ("copy", "raw COPY of the csv (the limit)"),
    ("naive_csv", "naive pandas.read_csv + to_sql"),
    ("naive_xlsx", "naive pandas.read_excel(openpyxl) + to_sql"),
    ("swdw_csv", "swdw end to end, csv (GX + Data Docs)"),
    ("swdw_xlsx", "swdw end to end, xlsx (GX + Data Docs)"),
)
# the report months of each run's csv and xlsx (the warm-up file is 2024-10, the RSS file 2024-11)
RUN_MONTHS = ((12, 9), (8, 7), (6, 5), (4, 3), (2, 1))


class StageTimes(logging.Handler):
    """Collects the per-stage log lines of ingest.quality.evaluation.Stages: {file label: {stage: seconds}}."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.by_file: dict[str, dict[str, float]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("%s: %s done in") and len(record.args) >= 3:
            label, stage, seconds = record.args[:3]
            self.by_file.setdefault(label, {})[stage] = seconds

    def of(self, file_name: str) -> dict[str, float]:
        return next((times for label, times in self.by_file.items() if label.endswith("/" + file_name)), {})


def _timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _raw_copy(dsn: str, path: Path) -> float:
    """The limit: PostgreSQL parsing the CSV itself into text columns."""
    import psycopg

    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with psycopg.connect(dsn) as conn:
        conn.execute(f"create temporary table bench_copy ({columns})")

        def copy():
            statement = "copy bench_copy from stdin with (format csv, header true)"
            with conn.cursor().copy(statement) as sink, path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    sink.write(chunk)

        return _timed(copy)


def _naive_pandas(dsn: str, path: Path) -> float:
    """What a quick script does: pandas reads the file, to_sql inserts it (no validation)."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg://", 1))

    def load():
        frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_excel(path, engine="openpyxl")
        frame.to_sql(f"bench_naive_{path.suffix[1:]}", engine, if_exists="replace", index=False)

    try:
        return _timed(load)
    finally:
        engine.dispose()


def _swdw_end_to_end(path: Path, landing: Path, name: str) -> tuple[float, dict]:
    """swdw on one landing file: register → read → normalise → GX + Data Docs page → COPY → loaded."""
    from ingest.intake.landing import discover
    from ingest.jobs.pipeline import process_landing_file

    target = landing / "xiangshan" / "org_coverage" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(path.read_bytes())
    [entry] = [e for e in discover(str(landing)) if e.file_name == name]
    outcome = {}

    def run():
        outcome.update(process_landing_file(entry))

    seconds = _timed(run)
    if outcome.get("status") != "loaded":
        raise SystemExit(f"benchmark file not loaded: {outcome}")
    return seconds, outcome


def _validation_cost(history: int, marks=(10, 100, 1000)) -> dict[int, float]:
    """Mean seconds of one small validation (GX + Data Docs) after n prior validations."""
    from ingest.intake.reference import departments
    from ingest.quality.checks import credit_check_character
    from ingest.quality.validation import validate

    contract_records = []
    for n in range(20):
        body = f"9134060{n:010d}"
        contract_records.append(
            dict(
                source_row=n + 2,
                report_period=dt.date(2024, 12, 1),
                credit_code=body + credit_check_character(body),
                org_name=f"企业{n}",
                org_type="enterprise",
                district_code="340603",
                employee_count=20,
                party_member_count=3,
                party_org_form="single",
                has_union=True,
                has_youth_league=False,
                has_womens_federation=True,
                instructor_assigned=False,
                industry=None,
            )
        )
    from ingest.intake.contracts import get_contract

    contract, department = get_contract("org_coverage"), departments()["xiangshan"]
    costs, done, sample = {}, 0, 5
    for mark in sorted({m for m in (*marks, history) if m <= history}):
        while done < mark:
            validate(contract, contract_records, {}, 900_000 + done, department, dt.date(2025, 1, 5))
            done += 1
            if done % 100 == 0:
                _say(f"{done} validations stored")
        times = []
        for _ in range(sample):
            started = time.perf_counter()
            validate(contract, contract_records, {}, 900_000 + done, department, dt.date(2025, 1, 5))
            times.append(time.perf_counter() - started)
            done += 1
        costs[mark] = statistics.median(times)
    return costs


_RSS_CHILD = """
import logging, os, resource, sys
logging.basicConfig(level=logging.WARNING, format="  ... %(message)s", stream=sys.stderr)
logging.getLogger("swdw").setLevel(logging.INFO)  # its stage lines show progress on the long file
from ingest.intake.landing import discover
from ingest.jobs.pipeline import process_landing_file
[entry] = discover(sys.argv[1])
outcome = process_landing_file(entry)
assert outcome["status"] == "loaded", outcome
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _peak_rss_mb(count: int, workdir: Path) -> int:
    """Peak RSS (MB) of a fresh process ingesting one csv file of ``count`` rows (header included) end to end."""
    landing = workdir / "rss-landing"
    target = landing / "xiangshan" / "org_coverage" / f"2024年11月_{count}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    # `count` rows in the file, its header included: 500,000 is a file at SWDW_MAX_ROWS
    write_csv(target, [[("2024-11" if i == 0 else c) for i, c in enumerate(r)] for r in rows(count - 1)])
    result = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(landing)], stdout=subprocess.PIPE, text=True)
    if result.returncode:
        raise SystemExit(f"peak RSS run failed (exit status {result.returncode}; its log is above)")
    return int(result.stdout.strip().splitlines()[-1])


def main() -> int:
    from ingest.warehouse.connection import stop_embedded

    try:
        return _bench()
    finally:
        stop_embedded()


def _bench() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("ROWS") or 100_000))
    parser.add_argument(
        "--history", type=int, default=None, help="prior validations for the Data Docs growth (default 1000)"
    )
    parser.add_argument("--rss-rows", type=int, default=None, help="rows of the peak-RSS file (default 500000)")
    parser.add_argument(
        "--runs", type=int, default=3, choices=range(1, len(RUN_MONTHS) + 1), help="runs of the timed files (default 3)"
    )
    args = parser.parse_args()
    quick = args.rows < 100_000  # `make bench ROWS=20000`: a quick look, history and RSS file scaled down
    rss_rows = args.rss_rows or (args.rows if quick else 500_000)
    history = args.history or (100 if quick else 1000)
    # a scratch home every run (the Makefile's SWDW_HOME would hold the last run's files as
    # duplicates and its Data Docs as history); its embedded server is stopped at the end
    os.environ["SWDW_HOME"] = tempfile.mkdtemp(prefix="swdw-bench-home-")
    os.environ.setdefault("SWDW_PII_KEY", "benchmark")
    logging.basicConfig(level=logging.WARNING, format="  ... %(message)s", stream=sys.stderr)
    stage_times = StageTimes()
    logging.getLogger("swdw").setLevel(logging.INFO)  # the per-stage lines: progress on a long file
    logging.getLogger("swdw.ingest").addHandler(stage_times)
    from ingest.quality.validation import get_context
    from ingest.warehouse.connection import bootstrap, warehouse_dsn

    bootstrap()
    dsn = warehouse_dsn()
    get_context()  # GX import and context load: once per process, outside every timing
    workdir = Path(tempfile.mkdtemp(prefix="swdw-bench-"))
    data = rows(args.rows)
    csv_path, xlsx_path = workdir / "bench.csv", workdir / "bench.xlsx"
    write_csv(csv_path, data)
    write_xlsx(xlsx_path, data)
    landing = workdir / "landing"
    _say("warm-up (a small file through swdw)")
    small = workdir / "small.csv"
    write_csv(small, [[("2024-10" if i == 0 else c) for i, c in enumerate(r)] for r in data[:50]])
    _swdw_end_to_end(small, landing, "2024年10月.csv")

    n, timings, stages = args.rows, {label: [] for label, _ in ANCHORS}, {"csv": [], "xlsx": []}
    for run, (csv_month, xlsx_month) in enumerate(RUN_MONTHS[: args.runs], start=1):
        # every run's files are new to the register (their own month): each is loaded, none superseded
        _say(f"run {run}/{args.runs}: raw COPY of {csv_path.stat().st_size / 1e6:.1f} MB csv")
        timings["copy"].append(_raw_copy(dsn, csv_path))
        _say(f"run {run}/{args.runs}: naive pandas.read_csv + to_sql")
        timings["naive_csv"].append(_naive_pandas(dsn, csv_path))
        _say(f"run {run}/{args.runs}: naive pandas.read_excel(openpyxl) + to_sql")
        timings["naive_xlsx"].append(_naive_pandas(dsn, xlsx_path))
        for kind, month, writer in (("csv", csv_month, write_csv), ("xlsx", xlsx_month, write_xlsx)):
            _say(f"run {run}/{args.runs}: swdw end to end, {kind}")
            name = f"2024年{month}月.{kind}"
            source = workdir / f"bench-{month}.{kind}"
            writer(source, [[(f"2024-{month:02d}" if i == 0 else c) for i, c in enumerate(r)] for r in data])
            timings[f"swdw_{kind}"].append(_swdw_end_to_end(source, landing, name)[0])
            stages[kind].append(stage_times.of(name))
    medians = {label: statistics.median(values) for label, values in timings.items()}
    # printed as soon as measured: the long parts below (the RSS file, the history) come after
    print(f"swdw benchmark, {n:,} org_coverage rows, {os.cpu_count()} cores, {dt.date.today()}, {args.runs} runs")
    print(f"{'':46} {'seconds':>9} {'rows/s':>10}   min-max s (median of the runs)")
    for label, title in ANCHORS:
        values = timings[label]
        print(f"{title:46} {medians[label]:9.2f} {n / medians[label]:10,.0f}   {min(values):.2f}-{max(values):.2f}")
    print(f"swdw per stage, seconds   {'  '.join(f'{stage:>9}' for stage in STAGES)}")
    for kind, runs in stages.items():
        medians_by_stage = [statistics.median(t.get(stage, float("nan")) for t in runs) for stage in STAGES]
        print(f"  {kind:22}  " + "  ".join(f"{seconds:9.2f}" for seconds in medians_by_stage))
    per_run = {
        "csv_vs_copy": [c / s for c, s in zip(timings["copy"], timings["swdw_csv"])],
        "csv_vs_naive": [c / s for c, s in zip(timings["naive_csv"], timings["swdw_csv"])],
        "xlsx_vs_naive": [c / s for c, s in zip(timings["naive_xlsx"], timings["swdw_xlsx"])],
    }
    print(
        "ratio of each run (side by side in that run): "
        + "; ".join(f"{name} {' '.join(f'{r:.3f}' for r in values)}" for name, values in per_run.items())
    )
    sys.stdout.flush()
    _say(f"peak RSS on a {rss_rows:,}-row file (child process)")
    peak_mb = _peak_rss_mb(rss_rows, workdir)
    print(f"peak RSS of swdw on a {rss_rows:,}-row csv (header included): {peak_mb} MB (child process, ru_maxrss)")
    sys.stdout.flush()
    _say(f"per-file validation cost over {history} prior validations")
    costs = _validation_cost(history)
    for mark, seconds in costs.items():
        print(f"per-file validation cost after {mark:>5} prior validations: {seconds * 1000:7.1f} ms")
    # the ratios of the median runs; above 1 against a naive peer: ahead of the peer it replaces
    csv_vs_copy, csv_vs_naive, xlsx_vs_naive = (statistics.median(per_run[name]) for name in per_run)
    growth = costs[max(costs)] / costs[min(costs)] if len(costs) > 1 else float("nan")
    if max(costs, default=0) != 1000 or rss_rows != 500_000:
        print(
            f"(quick look: docs_growth is after {max(costs, default=0)} vs {min(costs, default=0)} prior validations, "
            f"peak_rss on {rss_rows:,} rows)"
        )
    print(
        f"ratios: csv_vs_copy={csv_vs_copy:.3f} csv_vs_naive={csv_vs_naive:.2f} xlsx_vs_naive={xlsx_vs_naive:.2f} "
        f"docs_growth_1000_vs_10={growth:.2f} peak_rss_mb_500k={peak_mb}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
