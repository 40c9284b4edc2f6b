-- submission counts add up: accepted + quarantined ≤ received, resubmissions = received − 1
select *
from {{ ref('mart_submission_quality') }}
where submissions_accepted + submissions_quarantined > submissions_received
    or resubmissions <> greatest(submissions_received - 1, 0)
    or submissions_on_time > least(submissions_received, 1)
    or submissions_missing > submissions_expected
