"""GX validation cost: import overhead and validation time per 100k rows for each submission type.

    .venv/bin/python benchmarks/gx_validation.py [--rows 100000] [--repeat 2]

Runs the real checkpoint (suite, custom expectations, result store, Data Docs update and the
offline rewrite) through ingest.quality.validation.validate on synthetic, mostly clean records
(about 1 % of rows break a warning rule), in a throw-away SWDW_HOME. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _records(submission_type: str, rows: int) -> list[dict]:
    from ingest.quality.checks import credit_check_character

    records = []
    for n in range(rows):
        warn = n % 100 == 0
        if submission_type == "org_coverage":
            body = f"9134060{n:010d}"
            record = dict(
                report_period=dt.date(2024, 12, 1),
                credit_code=body + credit_check_character(body),
                org_name=f"企业{n}",
                org_type="enterprise" if n % 3 else "social_org",
                district_code="340603",
                employee_count=20 + n % 50,
                party_member_count=3 + n % 5,
                party_org_form="none" if warn else "single",
                has_union=bool(n % 2),
                has_youth_league=False,
                has_womens_federation=True,
                instructor_assigned=False,
                industry="制造业",
            )
        elif submission_type == "service_activity":
            record = dict(
                activity_id=f"A-{n}",
                activity_date=dt.date(2024, 12, 1 + n % 28),
                district_code="340603",
                category="training",
                target_group="elderly",
                participants=30,
                volunteers=2,
                service_hours=100.0 if warn else 6.0,
                title="培训",
                organizer="社区",
            )
        else:
            record = dict(
                suggestion_id=f"S-{n}",
                received_date=dt.date(2024, 5, 6),
                channel="box",
                district_code="340603",
                topic="community",
                title="加装电梯",
                content="无",
                submitter_name="某人",
                submitter_phone="12345" if warn else "13912345678",
                submitter_id_number="11010519491231002X",
                status="converted",
                concluded_date=dt.date(2024, 6, 1),
                handling_unit=None,
            )
        records.append({"source_row": n + 2, **record})
    return records


def _subprocess_seconds(code: str) -> float:
    best = None
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, capture_output=True)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    os.environ["SWDW_HOME"] = tempfile.mkdtemp(prefix="swdw-gx-bench-")
    os.environ["SWDW_PII_KEY"] = "benchmark"

    bare = _subprocess_seconds("pass")
    gx_import = _subprocess_seconds("import great_expectations")
    ingest_import = _subprocess_seconds("import ingest.jobs.pipeline, ingest.quality.validation")
    print(f"python start-up                        {bare:6.2f} s")
    print(f"import great_expectations (cold proc)  {gx_import - bare:6.2f} s over start-up")
    print(f"import ingest.jobs.pipeline+validation      {ingest_import - bare:6.2f} s over start-up (GX not imported)")

    started = time.perf_counter()
    from ingest.quality.validation import get_context

    get_context()
    print(f"import GX + load file context + custom expectations (in process) {time.perf_counter() - started:6.2f} s")

    from ingest.intake.contracts import get_contract
    from ingest.intake.reference import departments
    from ingest.quality.validation import frame_for, validate

    department = departments()["xiangshan"]
    print(f"\n{'submission type':18} {'rows':>8} {'frame s':>8} {'validate s':>11} {'per 100k s':>11} {'findings':>9}")
    for submission_type in ("org_coverage", "service_activity", "suggestion"):
        contract = get_contract(submission_type)
        records = _records(submission_type, args.rows)
        started = time.perf_counter()
        frame_for(contract, records)
        frame_seconds = time.perf_counter() - started
        timings = []
        for attempt in range(args.repeat):
            started = time.perf_counter()
            outcome = validate(contract, records, {}, 10_000 + attempt, department, dt.date(2025, 1, 10))
            timings.append(time.perf_counter() - started)
        best = min(timings)
        print(
            f"{submission_type:18} {args.rows:>8} {frame_seconds:>8.2f} {best:>11.2f} "
            f"{best * 100_000 / args.rows:>11.2f} {len(outcome.findings):>9}"
        )


if __name__ == "__main__":
    main()
