"""The marts against a pure-Python oracle, over generated submission sequences.

`test_generated_sequences_match_the_oracle` runs a bounded, derandomised set in `make test`;
`make fuzz-marts EXAMPLES=n SEED=s` runs a long one (SWDW_FUZZ_EXAMPLES, SWDW_FUZZ_SEED).
Every sequence the generator found failing is kept below as an explicit regression test.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, event, given, seed, settings
from hypothesis import strategies as st

from .oracle import cases
from .oracle.harness import SequenceRun, mart_digests, reset_warehouse
from .oracle.sequences import features, sequences

FUZZ_EXAMPLES = int(os.environ.get("SWDW_FUZZ_EXAMPLES") or 0)
FUZZ_SEED = os.environ.get("SWDW_FUZZ_SEED")
# shrinking a failure replays whole sequences (10-40 s each): SWDW_FUZZ_SHRINK=0 reports the first failure as found
FUZZ_SHRINK = os.environ.get("SWDW_FUZZ_SHRINK", "1") != "0"
# a sequence costs 10-40 s here (ingest, one to three dbt builds): the normal suite runs a handful,
# the same ones every time
BOUNDED_EXAMPLES = 6

if FUZZ_EXAMPLES:
    sequence_settings = settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=list(Phase) if FUZZ_SHRINK else [Phase.explicit, Phase.generate],
        print_blob=True,
    )
else:
    sequence_settings = settings(
        max_examples=BOUNDED_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        # no shrinking in the normal suite: a failure reports the whole sequence at once
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module")
def oracle_landing(tmp_path_factory):
    return tmp_path_factory.mktemp("oracle") / "landing"


@pytest.fixture()
def restore_landing_env(monkeypatch):
    monkeypatch.setenv("SWDW_LANDING_DIR", os.environ.get("SWDW_LANDING_DIR", ""))


def _with_seed(test):
    return seed(int(FUZZ_SEED))(test) if FUZZ_SEED else test


@pytest.mark.slow
@_with_seed
@sequence_settings
@given(sequence=sequences())
def test_generated_sequences_match_the_oracle(sequence, warehouse, oracle_landing, restore_landing_env):
    for feature in sorted(features(sequence)):
        event(feature)
    play(warehouse, oracle_landing, sequence)


def play(warehouse: str, landing, sequence) -> SequenceRun:
    """From a clean warehouse and an empty landing zone: every run ingested, built and compared."""
    reset_warehouse(warehouse, landing)
    run = SequenceRun(warehouse, landing, sequence)
    run.play()
    return run


@pytest.mark.slow
def test_a_rerun_with_nothing_new_leaves_every_mart_byte_identical(warehouse, oracle_landing, restore_landing_env):
    from ingest.jobs.pipeline import ingest_landing

    run = play(warehouse, oracle_landing, cases.one_of_everything())
    before = mart_digests(warehouse)
    assert ingest_landing(progress=None) == []
    run.build()
    assert mart_digests(warehouse) == before
    run.compare_marts()


# ---------------------------------------------------------------------------------------
# regressions: every failing sequence the generator found, as the files that cause it
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_org_in_two_departments_counts_as_the_latest_landed_snapshot_reports_it(
    warehouse, oracle_landing, restore_landing_env
):
    play(warehouse, oracle_landing, cases.org_in_two_departments_out_of_landing_order())


@pytest.mark.slow
def test_a_rejected_file_before_the_due_date_is_not_an_on_time_report(warehouse, oracle_landing, restore_landing_env):
    play(warehouse, oracle_landing, cases.rejected_file_before_the_due_date())


@pytest.mark.slow
def test_days_late_is_unknown_for_a_period_nothing_arrived_for(warehouse, oracle_landing, restore_landing_env):
    play(warehouse, oracle_landing, cases.nothing_arrived_for_a_period())


@pytest.mark.slow
def test_a_file_in_an_unknown_type_folder_keeps_the_build_green(warehouse, oracle_landing, restore_landing_env):
    play(warehouse, oracle_landing, cases.file_in_an_unknown_type_folder())


@pytest.mark.slow
def test_a_suggestion_resent_unchanged_keeps_the_build_green(warehouse, oracle_landing, restore_landing_env):
    play(warehouse, oracle_landing, cases.suggestion_resent_unchanged())


@pytest.mark.slow
def test_an_activity_of_the_sending_day_is_accepted_in_the_early_morning(
    warehouse, oracle_landing, restore_landing_env
):
    play(warehouse, oracle_landing, cases.activity_of_the_sending_day_sent_early_in_the_morning())


# ---------------------------------------------------------------------------------------
# the oracle itself: its arithmetic against PostgreSQL's, its figures against a hand count
# ---------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    days=st.lists(st.integers(0, 400), max_size=12),
    numerator=st.integers(0, 500),
    denominator=st.integers(0, 500),
)
def test_oracle_percentiles_and_rates_round_as_postgresql(warehouse, days, numerator, denominator):
    from fractions import Fraction

    from .helpers import query
    from .oracle.marts import percentile_cont, rate

    median, p90, stored_rate = query(
        warehouse,
        """select round((percentile_cont(0.5) within group (order by d))::numeric, 1),
                  round((percentile_cont(0.9) within group (order by d))::numeric, 1),
                  round(%s::numeric / nullif(%s, 0), 4)
             from unnest(%s::int[]) as d""",
        (numerator, denominator, days),
    )[0]
    assert (percentile_cont(days, Fraction(1, 2)), percentile_cont(days, Fraction(9, 10))) == (median, p90)
    assert str(rate(numerator, denominator)) == str(stored_rate)


def test_oracle_figures_match_a_hand_count():
    from .oracle.marts import AcceptedFile, mart_coverage, mart_petition_conversion, mart_service_counts

    sequence = cases.one_of_everything()
    # what ingest accepts of it (no two files land at the same time, so the numbering decides nothing)
    accepted = [f for f in sequence.files if f.verdict == "loaded" and f.copy_of is None]
    files = [
        AcceptedFile(n, f.department, f.submission_type, f.landed_at, f.period, f.records)
        for n, f in enumerate(accepted, 1)
    ]
    coverage = {(r["period_month"], r["district_code"], r["org_type"]): r for r in mart_coverage(files)}
    december = coverage[(cases.DECEMBER, "340603", "enterprise")]
    # xiangshan's 9 January correction wins over its 5 January snapshot: orgs 1 (single) and 4
    # (5 members, none); org 1 had no party organisation in November, so it is new
    assert (december["orgs_total"], december["orgs_with_party_org"], december["orgs_single"]) == (2, 1, 1)
    assert (december["orgs_should_form_party_org"], december["party_members"], december["new_party_orgs"]) == (1, 8, 1)
    assert str(december["party_org_coverage_rate"]) == "0.5000"
    assert str(december["mass_org_avg_coverage_rate"]) == "0.6667"  # (2 unions + 0 + 2) ÷ 6
    services = {(r["activity_month"], r["district_code"]): r for r in mart_service_counts(files)}
    # HD02: the 12 January version (35, approximate) wins over the 4 January one
    assert (
        services[(cases.DECEMBER, "340600")]["participants"],
        services[(cases.DECEMBER, "340600")]["approximate_records"],
    ) == (35, 1)
    petitions = {(r["received_month"], r["district_code"]): r for r in mart_petition_conversion(files)}
    # JY01 regressed to in_progress on 7 January; the 2 January file with 'converted' landed earlier
    jy01 = petitions[(cases.NOVEMBER, "340603")]
    assert (jy01["suggestions_received"], jy01["suggestions_converted"], jy01["median_days_to_conclusion"]) == (
        1,
        0,
        None,
    )
    jy03 = petitions[(cases.DECEMBER, "340621")]
    assert (jy03["suggestions_rejected"], str(jy03["p90_days_to_conclusion"])) == (1, "30.0")
