"""Model defects the oracle knows of, and whether main has their fix.

While a defect is open, the generator avoids the situation that trips it (a dbt test that a
legitimate submission fails), or the oracle follows the model as it stands (a figure that
is defined differently), so that the generated sequences keep finding *new* defects; its
explicit regression test in tests/test_marts_oracle.py is marked xfail(strict=True) and
fails the suite the day the fix lands, as a reminder to flip the flag here.
"""

from __future__ import annotations

import os

# the two defects of issue 10 being fixed on the models branch: flip after merging it
INCLUDE_KNOWN_DEFECTS = True

FIXED = {
    # xiangshan/meeting_minutes/x.xlsx: accepted_codes tests on stg_submissions and
    # mart_submission_quality fail on the register row of the rejected file
    "unknown_type_folder": INCLUDE_KNOWN_DEFECTS,
    # a suggestion resent unchanged: assert_suggestion_history_is_consistent fails (the history
    # keeps the first of two identical versions, stg_suggestion the latest landing)
    "unchanged_suggestion_resend": INCLUDE_KNOWN_DEFECTS,
    # found by the oracle: an organisation in two departments' snapshots for the same month
    # counts as the highest submission id says, not as the latest landing
    "org_winner_by_landing": True,
    # found by the oracle: on time counts the first file of any outcome, a rejected one included
    "on_time_means_accepted": True,
    # found by the oracle: days_late is 0, not null, for a period nothing arrived for
    # (greatest(null, 0) is 0 in PostgreSQL)
    "days_late_null_when_nothing_arrived": True,
    # found by the oracle (ingest, not dbt): "not after the day received" takes the day in the
    # database session's time zone (UTC), so a file sent before 08:00 city time with an activity
    # of that day is quarantined
    "day_received_in_city_time": True,
}

# SWDW_ORACLE_FIXED=name,name (or "all") holds the generator and the oracle to the fixed
# definitions without editing this file: to check a fix before flipping its flag
_declared_fixed = {name.strip() for name in os.environ.get("SWDW_ORACLE_FIXED", "").split(",")}
for _name in FIXED:
    if _name in _declared_fixed or "all" in _declared_fixed:
        FIXED[_name] = True
