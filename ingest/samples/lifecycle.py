"""The sample plan, the submission lifecycle applied to it and the figures it must give."""

from __future__ import annotations

from collections import defaultdict

from ingest.samples.common import (
    CONVERTED_STATUSES,
    DECEMBER,
    FITNESS_GAMES_MARK,
    NOVEMBER,
    TARGET_FITNESS_GAMES_SERVICE_HOURS,
    TARGET_FITNESS_GAMES_VOLUNTEERS,
    TARGET_MASS_ORG_AVG_COVERAGE_PCT,
    TARGET_MASS_ORG_TRUE_TOTAL,
    TARGET_NEW_PARTY_ORGS,
    TARGET_ORGS_TOTAL,
    TARGET_ORGS_WITH_PARTY_ORG,
    TARGET_PARTY_ORG_COVERAGE_PCT,
    TARGET_SUGGESTIONS_CONVERTED,
    TARGET_SUGGESTIONS_RECEIVED,
    YEAR,
    SampleFile,
)
from ingest.samples.org_coverage import plan_org_coverage_files
from ingest.samples.service_activity import plan_service_activity_files
from ingest.samples.suggestion import plan_suggestion_files


# ---------------------------------------------------------------------------------------
# Plan, lifecycle and expected figures
# ---------------------------------------------------------------------------------------
def sample_plan(scale: int = 1, seed: int = 2024) -> list[SampleFile]:
    """Every sample file, in memory, with its intended outcome."""
    files = (
        plan_org_coverage_files(seed, scale)
        + plan_service_activity_files(seed, scale)
        + plan_suggestion_files(seed, scale)
    )
    _mark_superseded(files)
    _check_order(files)
    return sorted(files, key=lambda f: f.relative_path)


def _mark_superseded(files: list[SampleFile]) -> None:
    """Snapshots: the latest accepted file per (department, period) wins."""
    latest = {}
    for f in sorted(files, key=lambda f: f.received_at):
        if f.submission_type == "org_coverage" and f.outcome == "loaded":
            key = (f.department, f.period)
            if key in latest:
                latest[key].outcome = "superseded"
            latest[key] = f


def _check_order(files: list[SampleFile]) -> None:
    """Within a folder, name order must be arrival order: the pipeline may process by name."""
    folders = defaultdict(list)
    for f in files:
        folders[(f.department, f.submission_type)].append(f)
    for group in folders.values():
        by_name = [f.name for f in sorted(group, key=lambda f: f.name)]
        by_time = [f.name for f in sorted(group, key=lambda f: f.received_at)]
        if by_name != by_time:
            raise RuntimeError(f"name order != arrival order: {by_name} vs {by_time}")


def intended_outcomes(scale: int = 1, seed: int = 2024) -> dict[str, str]:
    """relative path -> loaded | superseded | quarantined | duplicate."""
    return {f.relative_path: f.outcome for f in sample_plan(scale, seed)}


def _latest_versions(files: list[SampleFile], submission_type: str, key: str) -> dict:
    """Events: the latest accepted version of each (department, key)."""
    latest = {}
    for f in sorted(files, key=lambda f: f.received_at):
        if f.submission_type == submission_type and f.outcome in ("loaded", "superseded"):
            for record in f.records:
                latest[(f.department, record[key])] = record
    return latest


def figures_from_plan(files: list[SampleFile]) -> dict:
    """The headline figures the accepted files should produce, by the lifecycle rules."""

    def snapshot(period):
        return [
            r
            for f in files
            if f.submission_type == "org_coverage" and f.outcome == "loaded" and f.period == period
            for r in f.records
        ]

    december, november = snapshot(DECEMBER), snapshot(NOVEMBER)
    covered_before = {r["credit_code"] for r in november if r["party_org_form"] != "none"}
    n = len(december)
    with_party = sum(r["party_org_form"] != "none" for r in december)
    mass = sum(r[flag] for r in december for flag in ("has_union", "has_youth_league", "has_womens_federation"))
    suggestions = [
        r for r in _latest_versions(files, "suggestion", "suggestion_id").values() if r["received_date"].year == YEAR
    ]
    activities = _latest_versions(files, "service_activity", "activity_id")
    games = [r for (dept, _), r in activities.items() if dept == "city_vol" and FITNESS_GAMES_MARK in r["title"]]
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
        "suggestions_converted": sum(r["status"] in CONVERTED_STATUSES for r in suggestions),
        "activities": len(activities),
        "fitness_games_volunteers": sum(r["volunteers"] for r in games),
        "fitness_games_service_hours": sum(r["service_hours"] for r in games),
    }


def expected_figures(scale: int = 1, seed: int = 2024) -> dict:
    return figures_from_plan(sample_plan(scale, seed))


def target_figures(scale: int = 1) -> dict:
    """The annual summary's figures (row-count targets multiplied by scale)."""
    return {
        "orgs_total": TARGET_ORGS_TOTAL * scale,
        "orgs_with_party_org": TARGET_ORGS_WITH_PARTY_ORG * scale,
        "party_org_coverage_pct": TARGET_PARTY_ORG_COVERAGE_PCT,
        "mass_org_true_total": TARGET_MASS_ORG_TRUE_TOTAL * scale,
        "mass_org_avg_coverage_pct": TARGET_MASS_ORG_AVG_COVERAGE_PCT,
        "new_party_orgs": TARGET_NEW_PARTY_ORGS * scale,
        "suggestions_received": TARGET_SUGGESTIONS_RECEIVED * scale,
        "suggestions_converted": TARGET_SUGGESTIONS_CONVERTED * scale,
        "fitness_games_volunteers": TARGET_FITNESS_GAMES_VOLUNTEERS,
        "fitness_games_service_hours": TARGET_FITNESS_GAMES_SERVICE_HOURS,
    }


# ---------------------------------------------------------------------------------------
