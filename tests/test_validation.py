"""GX validation: every §6 rule through the real checkpoint, stored results, offline Data Docs.

The rule cases run `ingest.quality.validation.validate` directly (the real file context, checkpoint,
custom expectations and Data Docs, no database); the audit and Data Docs cases ingest files
into the embedded PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ingest.intake.contracts import all_contracts, get_contract
from ingest.intake.reference import departments
from ingest.jobs.pipeline import ingest_landing
from ingest.quality.data_docs import remote_references
from ingest.quality.docs_site import working_site
from ingest.quality.suites import expectation_specs
from ingest.quality.validation import validate
from ingest.warehouse.connection import bootstrap
from ingest.warehouse.schema import APPEND_ONLY_TABLES, LIFECYCLE_COLUMNS

from .builders import ORG_HEADER, credit_code, landing_path, org_row, write_csv
from .helpers import REPO, query

RECEIVED_ON = dt.date(2025, 1, 10)
PHONE, ID_NUMBER = "13912345678", "11010519491231002X"


def _wrong_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def org(n: int, **changes) -> dict:
    record = dict(
        report_period=dt.date(2024, 12, 1),
        credit_code=credit_code(n),
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
    return {**record, **changes}


def activity(n: int, **changes) -> dict:
    record = dict(
        activity_id=f"A-{n}",
        activity_date=dt.date(2024, 12, 5),
        district_code="340603",
        category="training",
        target_group="elderly",
        participants=30,
        volunteers=2,
        service_hours=6.0,
        title="培训",
        organizer=None,
    )
    return {**record, **changes}


def suggestion(n: int, **changes) -> dict:
    record = dict(
        suggestion_id=f"S-{n}",
        received_date=dt.date(2024, 5, 6),
        channel="box",
        district_code="340603",
        topic="community",
        title="加装电梯",
        content="无",
        submitter_name="王小明",
        submitter_phone=PHONE,
        submitter_id_number=ID_NUMBER,
        status="converted",
        concluded_date=dt.date(2024, 6, 1),
        handling_unit=None,
    )
    return {**record, **changes}


BUILDERS = {"org_coverage": org, "service_activity": activity, "suggestion": suggestion}

# (submission type, rule, severity, a good edge case, the bad case); each runs as one file of
# [plain good record, good edge case, bad record] and the rule must flag the bad record alone
RULE_CASES = [
    ("org_coverage", "required", "error", {"industry": None}, {"org_name": None}),
    ("org_coverage", "allowed_values", "error", {"org_type": "social_org"}, {"org_type": "个体户"}),
    ("org_coverage", "minimum", "error", {"employee_count": 3, "party_member_count": 0}, {"employee_count": -5}),
    ("org_coverage", "unique", "error", {}, {"credit_code": credit_code(0)}),
    ("org_coverage", "format", "error", {}, {"credit_code": "91340600ABC"}),
    (
        "org_coverage",
        "credit_code_check",
        "error",
        {"credit_code": "91110000100006485K"},
        {"credit_code": _wrong_check(credit_code(7))},
    ),
    ("org_coverage", "jurisdiction", "error", {"district_code": "340603"}, {"district_code": "340621"}),
    (
        "org_coverage",
        "party_members_exceed_employees",
        "warning",
        {"party_member_count": 20},
        {"party_member_count": 21},
    ),
    (
        "org_coverage",
        "should_form_party_org",
        "warning",
        {"party_member_count": 2, "party_org_form": "none"},
        {"party_member_count": 3, "party_org_form": "none"},
    ),
    ("service_activity", "required", "error", {"organizer": None}, {"title": None}),
    ("service_activity", "allowed_values", "error", {"category": "micro_wish"}, {"category": "聚餐"}),
    ("service_activity", "minimum", "error", {"volunteers": 0}, {"volunteers": -1}),
    ("service_activity", "unique", "error", {}, {"activity_id": "A-0"}),
    (
        "service_activity",
        "date_in_future",
        "error",
        {"activity_date": RECEIVED_ON},
        {"activity_date": RECEIVED_ON + dt.timedelta(days=1)},
    ),
    ("service_activity", "jurisdiction", "error", {"district_code": "340603"}, {"district_code": "340602"}),
    (
        "service_activity",
        "service_hours_implausible",
        "warning",
        {"volunteers": 0, "service_hours": 24.0},
        {"volunteers": 2, "service_hours": 48.5},
    ),
    ("suggestion", "required", "error", {"content": None}, {"received_date": None}),
    ("suggestion", "allowed_values", "error", {"status": "for_reference"}, {"channel": "微信"}),
    ("suggestion", "unique", "error", {}, {"suggestion_id": "S-0"}),
    ("suggestion", "jurisdiction", "error", {"district_code": "340603"}, {"district_code": "340600"}),
    (
        "suggestion",
        "concluded_date_required",
        "error",
        {"status": "in_progress", "concluded_date": None},
        {"status": "adopted", "concluded_date": None},
    ),
    (
        "suggestion",
        "concluded_before_received",
        "error",
        {"concluded_date": dt.date(2024, 5, 6)},
        {"concluded_date": dt.date(2024, 5, 5)},
    ),
    ("suggestion", "phone_malformed", "warning", {"submitter_phone": "0561-3051234"}, {"submitter_phone": "12345"}),
    (
        "suggestion",
        "id_number_invalid",
        "warning",
        {"submitter_id_number": None},
        {"submitter_id_number": "110105194912310021"},
    ),
]


def _validate(submission_type: str, records: list[dict], department: str = "xiangshan", submission_id: int = 1):
    rows = [{"source_row": n + 2, **r} for n, r in enumerate(records)]
    return validate(get_contract(submission_type), rows, {}, submission_id, departments()[department], RECEIVED_ON)


def _case_id(case) -> str:
    return f"{case[0]}-{case[1]}"


@pytest.mark.parametrize("case", RULE_CASES, ids=_case_id)
def test_each_rule_flags_the_bad_row_only(swdw_home, case):
    submission_type, rule, severity, good, bad = case
    make = BUILDERS[submission_type]
    outcome = _validate(submission_type, [make(0), make(1, **good), make(2, **bad)])
    flagged = [f for f in outcome.findings if f.rule == rule]
    assert {f.source_row for f in flagged} == ({2, 4} if rule == "unique" else {4}), outcome.findings
    assert {f.severity for f in flagged} == {severity}
    assert all(f.message_zh and f.message_en and f.column for f in flagged)
    # the finding and the stored GX result say the same thing
    [stored] = [r for r in outcome.results if r["rule"] == rule and not r["success"]]
    assert sorted(stored["unexpected_source_rows"]) == sorted(f.source_row for f in flagged)
    assert stored["severity"] == severity
    # nothing else is wrong with the good rows
    assert not [f for f in outcome.findings if f.source_row == 3 or (f.source_row == 2 and rule != "unique")]
    assert outcome.success is False or severity == "warning"


def test_every_contract_rule_and_column_rule_has_a_case():
    covered = {(t, rule) for t, rule, *_ in RULE_CASES}
    for name, contract in all_contracts().items():
        for spec in expectation_specs(contract):
            assert (name, spec["meta"]["rule"]) in covered, (name, spec["meta"]["rule"])


def test_clean_files_pass_every_expectation(swdw_home):
    for submission_type, make in BUILDERS.items():
        outcome = _validate(submission_type, [make(n) for n in range(5)], department="city_swb")
        assert outcome.findings == [] and outcome.success, (submission_type, outcome.findings)
        assert all(r["success"] for r in outcome.results)


def test_personal_data_never_reaches_gx_results_or_data_docs(swdw_home):
    outcome = _validate(
        "suggestion",
        [suggestion(1, submitter_phone="139123", submitter_id_number=ID_NUMBER[:-1] + "1", content=f"请回电{PHONE}")],
        submission_id=77,
    )
    assert {f.rule for f in outcome.findings} == {"phone_malformed", "id_number_invalid"}
    assert {f.value for f in outcome.findings}.isdisjoint({"139123", ID_NUMBER[:-1] + "1"})
    for path in (swdw_home / "artifacts").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".html"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for secret in ("139123", PHONE, ID_NUMBER[:-1], "王小明"):
                assert secret not in text, (path, secret)


def test_data_docs_reference_no_remote_resources(swdw_home):
    _validate("org_coverage", [org(1), org(2, district_code="340621")], submission_id=88)
    site = working_site()
    pages = list(site.rglob("*.html"))
    assert (site / "index.html").exists() and len(pages) >= 3
    assert remote_references(site) == {}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "static/offline/offline.css" in html and "static/offline/offline.js" in html
        for asset in ("offline.css", "offline.js"):
            prefix = html.split(f"static/offline/{asset}")[0].rsplit('"', 1)[-1]
            assert (page.parent / prefix / "static" / "offline" / asset).exists(), page


def _landing() -> Path:
    return Path(os.environ["SWDW_LANDING_DIR"])


def test_quarantined_submission_has_a_data_docs_page_naming_the_failure(clean_warehouse):
    bad = org_row(2)
    bad[1] = _wrong_check(bad[1])
    write_csv(landing_path(_landing(), "xiangshan", "org_coverage", "2024年12月.csv"), [ORG_HEADER, org_row(1), bad])
    [outcome] = ingest_landing()
    assert outcome.status == "quarantined"
    [(url,)] = query(clean_warehouse, "select data_docs_url from audit.submission")
    assert url.startswith("file://") and url == outcome.data_docs_url
    page = Path(url.removeprefix("file://"))
    assert page.exists() and page.parts[-3] == f"submission-{outcome.submission_id}"
    html = page.read_text(encoding="utf-8")
    assert "GB 32100 check character" in html and "credit_code" in html and "source_row" in html
    stored = query(
        clean_warehouse,
        "select rule, severity, success, unexpected_source_rows from audit.validation_result where not success",
    )
    assert stored == [("credit_code_check", "error", False, [3])]
    assert query(clean_warehouse, "select source_row, rule from audit.submission_finding") == [(3, "credit_code_check")]


def _refused(dsn: str, sql: str) -> str:
    with psycopg.connect(dsn, autocommit=True) as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute(sql)
    return str(refused.value)


def test_every_audit_table_is_guarded_against_change(clean_warehouse):
    """No audit table without a row guard and a truncate guard: new tables cannot slip past."""

    tables = {
        t for (t,) in query(clean_warehouse, "select 'audit.' || tablename from pg_tables where schemaname = 'audit'")
    }
    guarded = {*APPEND_ONLY_TABLES, *LIFECYCLE_COLUMNS, "audit.submission"}
    assert tables == guarded
    triggers = query(
        clean_warehouse,
        """select c.relnamespace::regnamespace || '.' || c.relname, t.tgtype & 32 <> 0
             from pg_trigger t join pg_class c on c.oid = t.tgrelid
            where not t.tgisinternal and c.relnamespace = 'audit'::regnamespace""",
    )
    assert {table for table, is_truncate in triggers if is_truncate} == tables
    assert {table for table, is_truncate in triggers if not is_truncate} == tables
    for table in APPEND_ONLY_TABLES:
        assert "append-only" in _refused(clean_warehouse, f"truncate {table} cascade")
    # a run's row: its later columns may be filled in, its start is fixed, it is never deleted
    with psycopg.connect(clean_warehouse, autocommit=True) as conn:
        conn.execute("insert into audit.pipeline_run (trigger) values ('test')")
        conn.execute("update audit.pipeline_run set finished_at = now(), loaded = 0")
    assert "may change" in _refused(clean_warehouse, "update audit.pipeline_run set trigger = 'forged'")
    assert "may change" in _refused(clean_warehouse, "delete from audit.pipeline_run")


def test_audit_evidence_cannot_be_changed(clean_warehouse):
    write_csv(
        landing_path(_landing(), "xiangshan", "org_coverage", "2024年12月.csv"),
        [ORG_HEADER, org_row(1), org_row(2, form="未组建")],
    )
    [outcome] = ingest_landing()
    assert outcome.status == "loaded" and outcome.warning_count == 1
    bootstrap()  # idempotent with the guards in place
    dsn = clean_warehouse  # the service account, a superuser: grants do not bind it, the triggers do
    for table in ("audit.validation_result", "audit.submission_finding"):
        assert "append-only" in _refused(dsn, f"update {table} set severity = 'warning'")
        assert "append-only" in _refused(dsn, f"delete from {table}")
        assert "append-only" in _refused(dsn, f"truncate {table} cascade")
    assert "lifecycle" in _refused(dsn, "update audit.submission set sha256 = 'x'")
    assert "lifecycle" in _refused(dsn, "update audit.submission set received_at = now() - interval '1 day'")
    assert "lifecycle" in _refused(dsn, "delete from audit.submission")
    with psycopg.connect(dsn, autocommit=True) as conn:  # the lifecycle still moves
        conn.execute("update audit.submission set status_reason = 'checked', updated_at = now()")
    assert query(dsn, "select count(*) from audit.validation_result")[0][0] > 0
    grants = query(
        dsn,
        """select grantee, table_name, privilege_type from information_schema.role_table_grants
                            where table_schema = 'audit' and privilege_type in ('UPDATE', 'DELETE', 'TRUNCATE')
                              and grantee in ('swdw_loader', 'swdw_transformer', 'swdw_bi', 'swdw_auditor')
                              and table_name in ('submission', 'submission_finding', 'validation_result')""",
    )
    assert all(table == "submission" and privilege == "UPDATE" for _, table, privilege in grants), grants


@pytest.mark.slow
def test_suites_are_stable_after_regeneration():
    before = {p: p.read_bytes() for p in (REPO / "expectations").rglob("*.json")}
    done = subprocess.run(
        [sys.executable, "-m", "ingest.quality.suites"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "SWDW_HOME": os.environ.get("SWDW_HOME", "/tmp/swdw-suites")},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "changed suites: none" in done.stdout, "run `python -m ingest.quality.suites` and commit expectations/"
    assert {p: p.read_bytes() for p in (REPO / "expectations").rglob("*.json")} == before
