"""The audit tables' column lists: which are append-only, which columns move during a row's
lifecycle, which are chained. Migration 0001 (ingest/warehouse/migrations/, docs/design.md §7)
was generated from these lists and is frozen (later tables come with their own migrations: 0003
audit.pii_key, 0004 audit.mail_message; 0005 moves the findings' and results' chain triggers to
audit.chain_row_batch with their arguments unchanged, 0006 builds its chained content without a
subquery per row): a change here needs a new migration, and
tests/test_migrations.py checks the installed triggers still name exactly these columns. The chain
verifier (ingest.warehouse.audit_chain) and the register read them.
"""

from __future__ import annotations

# Every audit table and how it is guarded; tests/test_ingest.py checks that no audit table is missing.
APPEND_ONLY_TABLES = (
    "audit.validation_result",
    "audit.submission_finding",
    "audit.reprocess_finding",
    "audit.lateness_check",
    "audit.schema_migration",
    "audit.pii_key",
    "audit.mail_message",
)
# table -> the columns a later step of the same run may fill in
LIFECYCLE_COLUMNS = {
    "audit.pipeline_run": ("finished_at", "loaded", "quarantined", "duplicates", "failed"),
    "audit.reprocess_run": (
        "verdict",
        "action",
        "new_status",
        "row_count",
        "error_count",
        "warning_count",
        "reason",
        "feedback_path",
        "finished_at",
    ),
}


# Tamper evidence beyond the guards, which an owner or a superuser can disable: every row of every
# audit table carries a hash over its chained columns and the previous row's hash, one chain per
# table (verified by ingest.warehouse.audit_chain). A table whose rows move later chains only what
# is fixed at insert (a file's received facts, a run's start): its lifecycle columns are guarded by
# the triggers of migration 0001 but not chained, so a status change never breaks a chain. The lists are frozen
# once rows are chained: a column added later is not in the hash of earlier rows.
CHAIN_COLUMNS = ("chain_seq", "prev_hash", "row_hash")
SUBMISSION_RECEIVED_FACTS = (
    "submission_id",
    "department_code",
    "submission_type",
    "file_name",
    "landing_path",
    "sha256",
    "bytes",
    "received_at",
)
# what a load writes into audit.validation_result, one row per expectation (register.record_validation_results)
VALIDATION_RESULT_COLUMNS = (
    "submission_id",
    "suite_name",
    "expectation_type",
    "column_name",
    "rule",
    "severity",
    "success",
    "observed_value",
    "unexpected_count",
    "unexpected_source_rows",
)
# what a finding row holds, in audit.submission_finding and audit.reprocess_finding (register.record_findings)
FINDING_COLUMNS = (
    "submission_id",
    "source_row",
    "column_name",
    "column_header",
    "value",
    "rule",
    "severity",
    "message_zh",
    "message_en",
)
# what the migration runner records per applied step (ingest.warehouse.migrations)
MIGRATION_COLUMNS = ("version", "name", "checksum", "applied_at", "swdw_version")
# what the mail intake records per message (ingest.warehouse.mail_messages), written once when it is done
MAIL_MESSAGE_COLUMNS = (
    "mail_id",
    "uidvalidity",
    "uid",
    "message_id",
    "sender",
    "department_code",
    "received_at",
    "outcome",
    "reason",
    "landed_files",
    "reply",
    "eml_path",
    "recorded_at",
)
# table -> its chained columns; the first names a row in verify's report (tests check every column is placed)
CHAINED_COLUMNS = {
    "audit.submission": SUBMISSION_RECEIVED_FACTS,
    "audit.pii_key": ("fingerprint", "recorded_at", "only_row"),
    "audit.submission_finding": ("finding_id", *FINDING_COLUMNS, "recorded_at"),
    "audit.validation_result": ("result_id", *VALIDATION_RESULT_COLUMNS, "run_at"),
    "audit.pipeline_run": ("run_id", "started_at", "trigger", "files_seen"),
    "audit.reprocess_run": (
        "reprocess_id",
        "submission_id",
        "requested_by",
        "airflow_run_id",
        "parameters",
        "previous_status",
        "previous_error_count",
        "previous_warning_count",
        "sha256_verified",
        "started_at",
    ),
    "audit.reprocess_finding": ("reprocess_id", *FINDING_COLUMNS),
    "audit.lateness_check": (
        "check_id",
        "check_date",
        "period_month",
        "department_code",
        "submission_type",
        "due_date",
        "status",
        "days_late",
        "submissions_received",
        "submissions_quarantined",
        "first_accepted_at",
        "accepted_submission_id",
        "airflow_run_id",
        "checked_at",
    ),
    "audit.schema_migration": MIGRATION_COLUMNS,
    "audit.mail_message": MAIL_MESSAGE_COLUMNS,
}
