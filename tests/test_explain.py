"""`swdw explain MART KEY…` on the sample: the same answer as the marts and mart_provenance; clear errors."""

from __future__ import annotations

import psycopg

from ingest.jobs.explain import explain

from .helpers import query, run_cli

CELL = ("coverage", ["2024-12", "340603", "enterprise"])


def test_explain_equals_the_mart_and_its_provenance(sample_run, warehouse):
    with psycopg.connect(warehouse) as conn:
        answer = explain(conn, *CELL)
    [(rate, covered, total)] = query(
        warehouse,
        """select party_org_coverage_rate, orgs_with_party_org, orgs_total from marts.mart_coverage
            where period_month = '2024-12-01' and district_code = '340603' and org_type = 'enterprise'""",
    )
    assert (answer.figure, answer.numerator, answer.denominator) == (rate, covered, total)
    assert answer.figure_name == "party_org_coverage_rate" and answer.grain_key == "2024-12|340603|enterprise"
    behind = query(
        warehouse,
        """select submission_id, sha256, rows_used, rows_in_numerator from marts.mart_provenance
            where mart_name = 'mart_coverage' and grain_key = '2024-12|340603|enterprise' order by submission_id""",
    )
    assert sorted((f.submission_id, f.sha256, f.rows_used, f.rows_in_numerator) for f in answer.files) == behind
    assert sum(f.rows_used for f in answer.files) == total
    assert sum(f.rows_in_numerator for f in answer.files) == covered
    registered = dict(query(warehouse, "select submission_id, sha256 from audit.submission"))
    assert all(registered[f.submission_id] == f.sha256 and f.status == "loaded" for f in answer.files)
    assert all(f.department_code == "xiangshan" and f.department_name == "相山区委社会工作部" for f in answer.files)


def test_the_command_prints_figure_fraction_and_files(sample_run, warehouse):
    result = run_cli("explain", CELL[0], *CELL[1])
    assert result.returncode == 0, result.stderr
    with psycopg.connect(warehouse) as conn:
        answer = explain(conn, *CELL)
    out = result.stdout
    assert f"party_org_coverage_rate = {answer.figure}" in out
    assert f"orgs_with_party_org = {answer.numerator}" in out and f"orgs_total = {answer.denominator}" in out
    for f in answer.files:
        assert f.sha256 in out and f.file_name in out and f"rows used {f.rows_used}" in out and "已入库" in out


def test_unknown_mart_or_key_is_a_clear_error(sample_run):
    for args, says in (
        (["nonsense", "2024-12"], "unknown mart 'nonsense'"),
        (["coverage", "2099-01", "340603", "enterprise"], "no row 2099-01|340603|enterprise in mart_coverage"),
        (["coverage", "2024-12"], "takes 3 key parts"),
    ):
        result = run_cli("explain", *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert says in result.stderr and "Traceback" not in result.stderr, result.stderr
