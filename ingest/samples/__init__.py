"""Realistic, messy sample submissions for the demo and the benchmarks (`swdw sample`).

`write_samples(out_dir)` writes the landing layout of docs/design.md §4,
`<out_dir>/<department_code>/<submission_type>/<file>`, with the kind of files Huaibei's
departments really send: Excel and CSV (UTF-8 with BOM, GBK/GB18030), title rows above
the header, a 合计 row, varying Chinese header aliases, units in headers, full-width
digits, mixed date/month/boolean/district spellings, a period known only from the file
name, a resubmission, a byte-identical copy and two files that must be quarantined.

At scale 1 the files that should be accepted reproduce the city's 2024 annual summary
(../shared/reference/000_f4050806ae832294.txt): party-organisation coverage 1290/1540 =
83.77 %, mass-organisation average coverage 3581/(3*1540) = 77.51 %, 599 new party
organisations, 1803 suggestions of which 1237 converted, and 270 volunteers serving
4400 hours at the 省六健会.

How it works: `sample_plan()` builds every file in memory (canonical records plus a
`Layout` saying how the clerk wrote them); `expected_figures()` applies the submission
lifecycle to that plan; `write_samples()` renders it. Everything derives from one
`random.Random` per topic, seeded from `seed`, so the output is byte-for-byte
deterministic (xlsx zip timestamps and core properties are pinned) and a re-run into the
same landing zone changes nothing the pipeline would notice.
"""

from ingest.samples.common import (  # noqa: F401  (the public face of the generator)
    CHINA_TZ,
    CONCLUDED_STATUSES,
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
    Layout,
    SampleFile,
    id_number_check_char,
    org_code_check_char,
)
from ingest.samples.lifecycle import (  # noqa: F401
    expected_figures,
    figures_from_plan,
    intended_outcomes,
    sample_plan,
    target_figures,
)
from ingest.samples.render import render_table, write_samples  # noqa: F401
