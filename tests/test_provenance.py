"""marts.mart_provenance on the sample: every mart row covered exactly, its row counts adding up, no personal data.

The same property is a dbt test (assert_provenance_covers_every_mart_row, run by the sample's
`swdw run`); this check is written independently in Python, and shown to fail on a tampered copy.
"""

from __future__ import annotations

from collections import defaultdict

import psycopg

from ingest.intake.contracts import all_contracts

from .helpers import query

# mart -> (grain columns, month column first; the count rows_used adds up to; its numerator)
MARTS = {
    "mart_coverage": (("period_month", "district_code", "org_type"), "orgs_total", "orgs_with_party_org"),
    "mart_service_counts": (
        ("activity_month", "district_code", "category", "target_group"),
        "activities",
        "activities",
    ),
    "mart_petition_conversion": (
        ("received_month", "district_code", "channel"),
        "suggestions_received",
        "suggestions_converted",
    ),
    "mart_submission_quality": (("period_month", "department_code", "submission_type"), "rows_received", None),
}


def _key(values) -> str:
    month, *rest = values
    return "|".join([f"{month:%Y-%m}", *map(str, rest)])


def _mart_rows(dsn: str) -> dict[tuple[str, str], tuple]:
    """(mart, grain key) -> (count, numerator, files) read from the marts themselves."""
    rows = {}
    for mart, (grain, counted, numerator) in MARTS.items():
        files = "submissions_received" if mart == "mart_submission_quality" else "null"
        sql = f"select {', '.join(grain)}, {counted}, {numerator or 'null'}, {files} from marts.{mart}"
        for *values, count, num, received in query(dsn, sql):
            rows[(mart, _key(values))] = (count, num, received)
    return rows


def _provenance(dsn: str) -> list[tuple]:
    return query(
        dsn, "select mart_name, grain_key, submission_id, rows_used, rows_in_numerator from marts.mart_provenance"
    )


def coverage_problems(mart_rows: dict, provenance: list[tuple]) -> list[str]:
    """Every way provenance fails to cover the marts exactly or to add up (empty when it holds)."""
    summed = defaultdict(lambda: [0, None, 0])
    for mart, key, submission_id, rows_used, in_numerator in provenance:
        total = summed[(mart, key)]
        total[0] += rows_used
        if in_numerator is not None:
            total[1] = (total[1] or 0) + in_numerator
        total[2] += submission_id is not None
    problems = [f"missing {k}" for k in mart_rows.keys() - summed.keys()]
    problems += [f"extra {k}" for k in summed.keys() - mart_rows.keys()]
    for key in mart_rows.keys() & summed.keys():
        count, numerator, files = mart_rows[key]
        got_count, got_numerator, got_files = summed[key]
        if got_count != count or got_numerator != numerator or (files is not None and got_files != files):
            problems.append(
                f"{key}: mart {(count, numerator, files)} provenance {(got_count, got_numerator, got_files)}"
            )
    return problems


def test_provenance_covers_every_mart_row_and_adds_up(sample_run, warehouse):
    mart_rows, provenance = _mart_rows(warehouse), _provenance(warehouse)
    assert {mart for mart, _ in mart_rows} == set(MARTS)  # the sample fills every mart
    assert coverage_problems(mart_rows, provenance) == []
    # one row per mart row × file
    assert len({(m, k, s) for m, k, s, *_ in provenance}) == len(provenance)


def test_the_check_fails_when_a_row_is_missing_or_miscounted(sample_run, warehouse):
    mart_rows, provenance = _mart_rows(warehouse), _provenance(warehouse)
    dropped = provenance[1:]
    assert coverage_problems(mart_rows, dropped)
    mart, key, sid, rows_used, in_numerator = provenance[0]
    assert coverage_problems(mart_rows, [(mart, key, sid, rows_used + 1, in_numerator), *provenance[1:]])
    assert coverage_problems(mart_rows, [*provenance, ("mart_coverage", "1999-01|340603|enterprise", 1, 1, 1)])


def test_the_files_are_the_registers_and_the_figures_the_marts(sample_run, warehouse):
    mismatched = query(
        warehouse,
        """select p.mart_name, p.grain_key, p.submission_id
             from marts.mart_provenance as p
             join audit.submission as s using (submission_id)
            where (p.department_code, p.file_name, p.sha256, p.received_at, p.status)
                  is distinct from (s.department_code, s.file_name, s.sha256, s.received_at, s.status)""",
    )
    assert mismatched == []
    [(rate, numerator, denominator, pg_rate)] = query(
        warehouse,
        """select distinct p.figure, p.numerator, p.denominator, m.party_org_coverage_rate
             from marts.mart_provenance as p
             join marts.mart_coverage as m
               on p.grain_key = to_char(m.period_month, 'YYYY-MM') || '|' || m.district_code || '|' || m.org_type
            where p.mart_name = 'mart_coverage' and p.grain_key = '2024-12|340603|enterprise'""",
    )
    assert rate == pg_rate and numerator <= denominator
    # a quarantined file is listed where it counts (submission quality), never behind a figure
    statuses = dict(
        query(warehouse, "select mart_name, array_agg(distinct status) from marts.mart_provenance group by 1")
    )
    assert "quarantined" in statuses["mart_submission_quality"]
    assert "quarantined" not in statuses["mart_coverage"] + statuses["mart_petition_conversion"]


def test_no_personal_data_and_bi_reads_it(sample_run, warehouse):
    columns = {
        c
        for (c,) in query(
            warehouse,
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = 'mart_provenance'",
        )
    }
    personal = {c.name for contract in all_contracts().values() for c in contract.columns if c.pii}
    assert columns and not columns & personal
    assert not [c for c in columns if c.endswith(("_hash", "_masked")) or "submitter" in c]
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("set role swdw_bi")
        assert conn.execute("select count(*) from marts.mart_provenance").fetchone()[0] > 0
