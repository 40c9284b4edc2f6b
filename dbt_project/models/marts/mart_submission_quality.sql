-- 报送质量: expected vs received per period_month × department_code × submission_type.
-- every register row counts: a file in a folder that names no submission type (rejected by
-- ingest) keeps that folder name as submission_type, labelled 未知报送类型, never owed.
with obligations as (
    select * from {{ ref('int_reporting_obligations') }}
),

arrivals as (
    select * from {{ ref('int_submission_periods') }}
),

periods as (
    select
        coalesce(obligations.period_month, arrivals.period_month) as period_month,
        coalesce(obligations.department_code, arrivals.department_code) as department_code,
        coalesce(obligations.submission_type, arrivals.submission_type) as submission_type,
        coalesce(obligations.due_date, {{ submission_due_date('arrivals.period_month') }}) as due_date,
        (obligations.period_month is not null)::int as submissions_expected,
        arrivals.submissions_received,
        arrivals.submissions_accepted,
        arrivals.submissions_quarantined,
        arrivals.first_received_at,
        arrivals.last_received_at,
        arrivals.first_received_date,
        arrivals.first_accepted_date,
        arrivals.rows_received,
        arrivals.errors,
        arrivals.warnings,
        arrivals.latest_submission_id,
        arrivals.latest_status,
        -- owed types come from the calendar seed, which names contract types only
        coalesce(arrivals.is_known_submission_type, true) as is_known_submission_type
    from obligations
    full join arrivals
        on obligations.department_code = arrivals.department_code
            and obligations.submission_type = arrivals.submission_type
            and obligations.period_month = arrivals.period_month
),

departments as (
    select
        department_code,
        department_name
    from {{ ref('stg_departments') }}
),

register_labels as (
    select
        column_name,
        code,
        label_zh
    from {{ ref('stg_enum_labels') }}
    where submission_type = 'audit'
)

select
    periods.period_month,
    periods.department_code,
    departments.department_name,
    periods.submission_type,
    case
        when periods.is_known_submission_type then type_labels.label_zh
        else '未知报送类型'
    end as submission_type_label,
    periods.due_date,
    periods.submissions_expected,
    coalesce(periods.submissions_received, 0) as submissions_received,
    -- on time: an accepted file landed by the due date (a rejected file is not a report)
    coalesce(periods.first_accepted_date <= periods.due_date, false)::int as submissions_on_time,
    coalesce(periods.submissions_accepted, 0) as submissions_accepted,
    coalesce(periods.submissions_quarantined, 0) as submissions_quarantined,
    (periods.submissions_expected = 1 and coalesce(periods.submissions_accepted, 0) = 0)::int as submissions_missing,
    greatest(coalesce(periods.submissions_received, 0) - 1, 0) as resubmissions,
    periods.first_received_at,
    periods.last_received_at,
    case
        when periods.first_accepted_date is not null
            then greatest(periods.first_accepted_date - periods.due_date, 0)
    end as days_late,
    coalesce(periods.rows_received, 0) as rows_received,
    coalesce(periods.errors, 0) as errors,
    coalesce(periods.warnings, 0) as warnings,
    periods.latest_submission_id,
    periods.latest_status,
    status_labels.label_zh as latest_status_label
from periods
left join departments using (department_code)
left join register_labels as type_labels
    on type_labels.column_name = 'submission_type' and periods.submission_type = type_labels.code
left join register_labels as status_labels
    on status_labels.column_name = 'status' and periods.latest_status = status_labels.code
