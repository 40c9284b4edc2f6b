"""The sample generator: do the files on disk carry the 2024 annual-summary figures?

The files are read back with small readers written here (csv/openpyxl/json), not with the
project's parser, so a parser bug cannot hide a generator bug or the other way round.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest

from ingest import samples as sample
from ingest.intake.contracts import all_contracts
from ingest.intake.reference import departments, district_lookup
from ingest.quality.checks import credit_code_valid, id_number_valid

TRUE_WORDS = {"是", "有", "已建", "√", "y", "1", "true"}
FALSE_WORDS = {"否", "无", "未建", "×", "n", "0", "false"}
TOTAL_WORDS = ("合计", "总计", "小计", "全市")
APPROXIMATE = ("余", "约", "多")


# ---------------------------------------------------------------------------- readers
def norm(text) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def header_key(text) -> str:
    key = norm(text)
    while key.endswith(")") and "(" in key:
        key = key[: key.rindex("(")]
    return key.lower()


def grid_of(path: Path) -> list[list]:
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    text = data.decode("utf-8-sig") if _is_utf8(data) else data.decode("gb18030")
    if path.suffix == ".json":
        records = json.loads(text)
        header = list(dict.fromkeys(k for r in records for k in r))
        return [header] + [[r.get(h) for h in header] for r in records]
    return list(csv.reader(io.StringIO(text, newline="")))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def read_table(path: Path, submission_type: str) -> tuple[list[str], list[dict]]:
    """(canonical columns present, rows as {column: raw cell}) with title and total rows dropped."""
    contract = all_contracts()[submission_type]
    keys = {k: c.name for c in contract.columns for k in c.header_keys}
    grid = grid_of(path)
    header_at = next(
        i for i, row in enumerate(grid[:6]) if sum(header_key(v) in keys for v in row if v is not None) >= 3
    )
    columns = [keys.get(header_key(v)) if v is not None else None for v in grid[header_at]]
    rows = []
    for cells in grid[header_at + 1 :]:
        first = next((norm(c) for c in cells if c not in (None, "")), None)
        if first is None or first.startswith(TOTAL_WORDS):
            continue
        rows.append({col: cell for col, cell in zip(columns, cells) if col})
    return [c for c in columns if c], rows


# ---------------------------------------------------------------------------- values
def text(value) -> str | None:
    if value is None:
        return None
    value = unicodedata.normalize("NFKC", str(value)).strip()
    return value or None


def as_bool(value) -> bool:
    word = text(value).lower()
    assert word in TRUE_WORDS | FALSE_WORDS, value
    return word in TRUE_WORDS


def as_number(value) -> tuple[float, bool]:
    if isinstance(value, (int, float)):
        return value, False
    raw = text(value)
    approximate = any(m in raw for m in APPROXIMATE)
    number = re.sub(r"小时|h$|[余约多]", "", raw)
    return float(number), approximate


def as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, int):
        return dt.date(1899, 12, 30) + dt.timedelta(days=value)
    y, m, d = map(int, re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text(value)).groups())
    return dt.date(y, m, d)


def as_month(value) -> dt.date:
    match = re.search(r"(\d{4})(?:[-年]?)(\d{1,2})月?$", text(value))
    return dt.date(int(match[1]), int(match[2]), 1)


def as_district(value) -> str:
    return district_lookup()[text(value)]


def as_enum(submission_type: str, column: str, value) -> str:
    spelling = text(value)
    col = all_contracts()[submission_type].column(column)
    if spelling is None and col.empty_means:
        return col.empty_means
    return next(code for code, words in col.values.items() if spelling in map(str, words))


def canonical(submission_type: str, row: dict) -> dict:
    """Typed values for the columns the figures need."""
    out = {}
    for name, value in row.items():
        column = all_contracts()[submission_type].column(name)
        if column.type == "boolean":
            out[name] = as_bool(value) if text(value) else bool(column.default)
        elif column.type in ("integer", "decimal"):
            out[name] = as_number(value)[0] if text(value) else 0
        elif column.type == "date":
            out[name] = as_date(value) if text(value) else None
        elif column.type == "month":
            out[name] = as_month(value)
        elif column.type == "district":
            out[name] = as_district(value)
        elif column.type == "enum":
            out[name] = as_enum(submission_type, name, value)
        else:
            out[name] = text(value)
    return out


# ---------------------------------------------------------------------------- the landing zone
class Submission:
    def __init__(self, root: Path, path: Path):
        self.path = path
        self.relative = path.relative_to(root).as_posix()
        self.department, self.submission_type, self.name = self.relative.split("/")
        self.mtime = path.stat().st_mtime
        self.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        self.columns, raw = read_table(path, self.submission_type)
        self.raw_rows = raw
        self.rows = [canonical(self.submission_type, r) for r in raw]
        if self.submission_type == "org_coverage" and "report_period" not in self.columns:
            y, m = map(int, re.search(r"(\d{4})年(\d{1,2})月", self.name).groups())
            for row in self.rows:
                row["report_period"] = dt.date(y, m, 1)

    def errors(self) -> list[str]:
        """Error-severity findings a correct pipeline must raise (a subset of the contract)."""
        contract = all_contracts()[self.submission_type]
        found = [
            f"missing {c.name}"
            for c in contract.columns
            if c.required and c.name not in self.columns and not c.period_from_file_name
        ]
        dept = departments()[self.department]
        found += [f"district {r['district_code']}" for r in self.rows if not dept.may_report_for(r["district_code"])]
        key = contract.record_key[0]
        keys = [r[key] for r in self.rows]
        found += ["duplicate key"] * (len(keys) - len(set(keys)))
        if self.submission_type == "org_coverage":
            found += [f"credit code {k}" for k in keys if not credit_code_valid(k)]
        if self.submission_type == "suggestion":
            for r in self.rows:
                if r["status"] in sample.CONCLUDED_STATUSES and not (
                    r["concluded_date"] and r["concluded_date"] >= r["received_date"]
                ):
                    found.append(f"concluded date {r['suggestion_id']}")
        if self.submission_type == "service_activity":
            received = dt.datetime.fromtimestamp(self.mtime, sample.CHINA_TZ).date()
            found += [f"future {r['activity_id']}" for r in self.rows if r["activity_date"] > received]
        return found


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    written = sample.write_samples(root)
    assert written and all(p.exists() for p in written)
    return root


@pytest.fixture(scope="module")
def submissions(landing) -> list[Submission]:
    return [Submission(landing, p) for p in sorted(landing.rglob("*")) if p.is_file()]


def figures_from_files(submissions: list[Submission]) -> dict:
    """The lifecycle of docs/design.md §4 applied to what is on disk."""
    outcomes = sample.intended_outcomes()
    seen, accepted = set(), []
    for s in sorted(submissions, key=lambda s: s.mtime):
        if (s.department, s.submission_type, s.sha256) in seen:
            continue  # the same bytes are registered once
        seen.add((s.department, s.submission_type, s.sha256))
        if outcomes[s.relative] != "quarantined":
            accepted.append(s)
    snapshots = {}
    for s in accepted:
        if s.submission_type == "org_coverage":
            snapshots[(s.department, s.rows[0]["report_period"])] = s  # later replaces earlier

    def period_rows(period):
        return [r for (_, p), s in snapshots.items() if p == period for r in s.rows]

    december, november = period_rows(sample.DECEMBER), period_rows(sample.NOVEMBER)
    covered_before = {r["credit_code"] for r in november if r["party_org_form"] != "none"}
    latest = defaultdict(dict)
    for s in accepted:
        if s.submission_type != "org_coverage":
            key = all_contracts()[s.submission_type].record_key[0]
            for r in s.rows:
                latest[s.submission_type][(s.department, r[key])] = r
    suggestions = [r for r in latest["suggestion"].values() if r["received_date"].year == 2024]
    games = [
        r
        for (dept, _), r in latest["service_activity"].items()
        if dept == "city_vol" and sample.FITNESS_GAMES_MARK in r["title"]
    ]
    n = len(december)
    with_party = sum(r["party_org_form"] != "none" for r in december)
    mass = sum(r[f] for r in december for f in ("has_union", "has_youth_league", "has_womens_federation"))
    return {
        "orgs_total": n,
        "orgs_with_party_org": with_party,
        "party_org_coverage_pct": round(100 * with_party / n, 2),
        "mass_org_true_total": mass,
        "mass_org_avg_coverage_pct": round(100 * mass / (3 * n), 2),
        "new_party_orgs": sum(
            r["party_org_form"] != "none" and r["credit_code"] not in covered_before for r in december
        ),
        "suggestions_received": len(suggestions),
        "suggestions_converted": sum(r["status"] in sample.CONVERTED_STATUSES for r in suggestions),
        "activities": len(latest["service_activity"]),
        "fitness_games_volunteers": sum(r["volunteers"] for r in games),
        "fitness_games_service_hours": sum(r["service_hours"] for r in games),
    }


# ---------------------------------------------------------------------------- tests
def test_check_characters():
    assert credit_code_valid("91350100M000100Y43")  # a published example
    assert not credit_code_valid("91350100M000100Y44")
    assert id_number_valid("11010519491231002X")  # GB 11643 example
    assert sample.org_code_check_char("D2143569") == "X"  # GB 11714 example D2143569-X


def test_expected_figures_equal_the_annual_summary():
    expected = sample.expected_figures()
    targets = sample.target_figures()
    assert {k: expected[k] for k in targets} == targets
    assert targets["party_org_coverage_pct"] == round(
        100 * sample.TARGET_ORGS_WITH_PARTY_ORG / sample.TARGET_ORGS_TOTAL, 2
    )
    assert targets["mass_org_avg_coverage_pct"] == round(
        100 * sample.TARGET_MASS_ORG_TRUE_TOTAL / (3 * sample.TARGET_ORGS_TOTAL), 2
    )


def test_files_on_disk_reproduce_the_figures(submissions):
    assert figures_from_files(submissions) == sample.expected_figures()


def test_every_file_is_in_the_plan_and_folders_are_known(landing, submissions):
    outcomes = sample.intended_outcomes()
    assert {s.relative for s in submissions} == set(outcomes)
    for s in submissions:
        assert s.submission_type in departments()[s.department].submission_types


def test_only_the_intended_files_are_invalid(submissions):
    outcomes = sample.intended_outcomes()
    invalid = {s.relative: s.errors() for s in submissions if s.errors()}
    assert set(invalid) == {p for p, o in outcomes.items() if o == "quarantined"}
    assert len(invalid) == 2
    org = next(errs for p, errs in invalid.items() if "/org_coverage/" in p)
    assert "missing has_womens_federation" in org and any(e.startswith("credit code") for e in org)
    sugg = next((p, errs) for p, errs in invalid.items() if "/suggestion/" in p)
    assert sugg[0].startswith("xiangshan/") and sugg[1] == ["district 340621"]


def test_lifecycle_cases(submissions):
    outcomes = sample.intended_outcomes()
    assert list(outcomes.values()).count("superseded") == 1
    assert list(outcomes.values()).count("duplicate") == 1
    by_path = {s.relative: s for s in submissions}
    superseded = next(p for p, o in outcomes.items() if o == "superseded")
    corrected = next(
        s
        for s in submissions
        if s.department == by_path[superseded].department
        and s.submission_type == "org_coverage"
        and s.name > by_path[superseded].name
        and outcomes[s.relative] == "loaded"
    )
    assert corrected.rows[0]["report_period"] == by_path[superseded].rows[0]["report_period"] == sample.DECEMBER
    assert corrected.rows != by_path[superseded].rows
    duplicate = by_path[next(p for p, o in outcomes.items() if o == "duplicate")]
    twins = [s for s in submissions if s.sha256 == duplicate.sha256]
    assert len(twins) == 2 and min(twins, key=lambda s: s.mtime) is not duplicate


def test_name_order_is_arrival_order(submissions):
    folders = defaultdict(list)
    for s in submissions:
        folders[(s.department, s.submission_type)].append(s)
    for group in folders.values():
        assert [s.name for s in sorted(group, key=lambda s: s.name)] == [
            s.name for s in sorted(group, key=lambda s: s.mtime)
        ]
        assert len({s.mtime for s in group}) == len(group)


def test_credit_codes_valid_and_unique_in_accepted_files(submissions):
    outcomes = sample.intended_outcomes()
    for s in submissions:
        if s.submission_type == "org_coverage" and outcomes[s.relative] != "quarantined":
            codes = [r["credit_code"] for r in s.rows]
            assert len(codes) == len(set(codes)) and all(map(credit_code_valid, codes)), s.relative


def test_suggestion_statuses_move_over_time(submissions):
    versions = defaultdict(list)
    for s in sorted(submissions, key=lambda s: s.mtime):
        if s.submission_type == "suggestion":
            for r in s.rows:
                versions[(s.department, r["suggestion_id"])].append(r["status"])
    moved = [v for v in versions.values() if len(v) > 1]
    assert len(moved) > 50
    assert any(v[0] in ("received", "in_progress") and v[-1] in sample.CONVERTED_STATUSES for v in moved)
    assert any(v == ["received", "in_progress"] or v[:2] == ["received", "in_progress"] for v in moved)


def test_warnings_and_personal_data_are_present(submissions):
    december = [
        r
        for s in submissions
        if s.submission_type == "org_coverage"
        for r in s.rows
        if r["report_period"] == sample.DECEMBER
    ]
    assert any(r["party_member_count"] >= 3 and r["party_org_form"] == "none" for r in december)
    assert any(r["party_member_count"] > r["employee_count"] for r in december)
    rows = [r for s in submissions if s.submission_type == "suggestion" for r in s.rows]
    phones = [r["submitter_phone"] for r in rows if r.get("submitter_phone")]
    mobile_or_landline = re.compile(r"1[3-9]\d{9}|0\d{2,3}-\d{7,8}")
    assert sum(not mobile_or_landline.fullmatch(p) for p in phones) >= 1
    assert sum(mobile_or_landline.fullmatch(p) is not None for p in phones) > 0.95 * len(phones)
    ids = [r["submitter_id_number"] for r in rows if r.get("submitter_id_number")]
    assert 1 <= sum(not id_number_valid(i) for i in ids) <= 0.01 * len(ids) + 2
    assert any(re.search(r"1[3-9]\d{9}", r["content"] or "") for r in rows)
    assert all(r["submitter_name"] for r in rows if r.get("submitter_id_number"))


def test_messiness_is_present(submissions):
    raw_bytes = {s.relative: s.path.read_bytes() for s in submissions}
    assert any(p.endswith(".csv") and not _is_utf8(b) for p, b in raw_bytes.items())  # GBK/GB18030
    assert any(b.startswith(b"\xef\xbb\xbf") for b in raw_bytes.values())  # UTF-8 BOM
    assert any(p.endswith(".xlsx") for p in raw_bytes) and any(p.endswith(".json") for p in raw_bytes)
    grids = {s.relative: grid_of(s.path) for s in submissions}
    assert any("“两个覆盖”台账" in str(g[0][0]) for g in grids.values())  # title row
    assert any(str(g[-1][0]) == "合计" for g in grids.values())  # total row
    assert any(s.submission_type == "org_coverage" and "report_period" not in s.columns for s in submissions)
    cells = [c for g in grids.values() for row in g for c in row if c is not None]
    assert any(isinstance(c, dt.datetime) for c in cells)  # Excel dates
    strings = [c for c in cells if isinstance(c, str)]
    for pattern in (
        r"^\d+余$",
        r"^约\d+$",
        r"^\d+多$",
        r"^\d+(\.\d+)?小时$",
        r"[０-９]",
        r"^2024/\d{1,2}/\d{1,2}$",
        r"^2024\.\d{1,2}\.\d{1,2}$",
        r"^2024年\d{1,2}月\d{1,2}日$",
        r"^2024-\d\d-\d\d$",
        r"^2024年12月$",
        r"^202412$",
        r"^2024-12$",
    ):
        assert any(re.search(pattern, c) for c in strings), pattern
    for spelling in ("是", "有", "已建", "√", "相山", "340603", "相山区", "服务时长（小时）"):
        assert spelling in strings, spelling
    headers = defaultdict(set)
    for s in submissions:
        grid = grids[s.relative]
        header_at = next(i for i, row in enumerate(grid) if sum(v is not None for v in row) >= 3)
        headers[s.submission_type].update(header_key(h) for h in grid[header_at] if h)
    # Different files use different aliases of the same column.
    assert {"统一社会信用代码", "社会信用代码", "信用代码"} <= headers["org_coverage"]
    assert {"收集日期", "征集日期", "受理日期"} <= headers["suggestion"]


def test_scale_one_is_small_and_scale_multiplies(submissions):
    assert sum(len(s.rows) for s in submissions) < 6000
    small, large = sample.sample_plan(1), sample.sample_plan(2)
    assert len(small) == len(large)
    assert 1.8 < sum(len(f.records) for f in large) / sum(len(f.records) for f in small) < 2.2
    assert sample.expected_figures(scale=2)["orgs_total"] == 2 * sample.TARGET_ORGS_TOTAL
    assert sample.expected_figures(scale=2)["suggestions_received"] == 2 * sample.TARGET_SUGGESTIONS_RECEIVED
    # Beyond scale 3 the one-word organisation names run out: generation must still finish.
    assert sample.expected_figures(scale=4)["orgs_with_party_org"] == 4 * sample.TARGET_ORGS_WITH_PARTY_ORG


def test_deterministic(landing, tmp_path):
    again = sample.write_samples(tmp_path)
    first = {p.relative_to(landing): (p.read_bytes(), p.stat().st_mtime) for p in landing.rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path): (p.read_bytes(), p.stat().st_mtime) for p in again}
    assert first == second
