"""The `swdw` command (docs/design.md §8). Thin: every subcommand calls one function of the package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.airflow import services
from ingest.airflow.connection_ids import IMAP_CONN_ID
from ingest.bi import monthly_report, server
from ingest.intake.pii import key_fingerprint
from ingest.jobs.audit_pack import AuditPackError, print_pack
from ingest.jobs.backup import BackupError, print_backup, print_restore
from ingest.jobs.explain import ExplainError, print_explanation
from ingest.jobs.mail_intake import poll_imap_connection, print_poll
from ingest.jobs.outcomes import FileStatus, count_outcomes, print_outcomes
from ingest.jobs.pipeline import ingest_pass
from ingest.jobs.reprocess import ReprocessAction, rebuild_marts, reprocess_by_id
from ingest.jobs.summary import print_summary
from ingest.jobs.transform import build_skip_reason, dbt_build, generate_docs
from ingest.samples import write_samples
from ingest.warehouse.audit_chain import print_verification, verify_chains
from ingest.warehouse.connection import bootstrap, stop_embedded, warehouse_dsn
from ingest.warehouse.register import SubmissionStatus, print_register


def _cmd_dsn(args) -> int:
    print(warehouse_dsn())
    return 0


def _cmd_pii_fingerprint(args) -> int:
    print(key_fingerprint())
    return 0


def _cmd_upgrade(args) -> int:
    # every command migrates when it starts; this one does only that, and says what it applied
    applied = bootstrap()
    for step in applied:
        print(f"applied {step}")
    print(f"warehouse up to date ({len(applied)} applied)")
    return 0


def _cmd_mail_poll(args) -> int:
    print_poll(poll_imap_connection(IMAP_CONN_ID))
    return 0


def _cmd_stop(args) -> int:
    print("embedded PostgreSQL stopped" if stop_embedded() else "nothing to stop")
    return 0


def _cmd_sample(args) -> int:
    written = write_samples(args.out, scale=args.scale)
    print(f"wrote {len(written)} sample submissions under {args.out}")
    return 0


# Exit codes (README "Commands"). When several apply, the first in this list wins.
EXIT_OK = 0
EXIT_UNAVAILABLE = 2  # swdw could not run: warehouse unreachable, bad configuration (main())
EXIT_BUILD_FAILED = 1  # dbt build failed: the marts are stale
EXIT_FILE_FAILED = 4  # a file failed with an internal error (quarantined as internal_error)
EXIT_QUARANTINED = 3  # --strict: a file was quarantined by a rule


def _ingest_exit_code(outcomes, strict: bool) -> int:
    counts = count_outcomes(outcomes)
    if counts[FileStatus.FAILED]:
        return EXIT_FILE_FAILED
    if strict and counts[FileStatus.QUARANTINED]:
        return EXIT_QUARANTINED
    return EXIT_OK


def _ingest(args):
    outcomes, summary = ingest_pass(trigger="cli")
    print_outcomes(outcomes)
    return _ingest_exit_code(outcomes, args.strict), summary


def _cmd_ingest(args) -> int:
    return _ingest(args)[0]


def _build(select: list[str] | None = None) -> int:
    if not dbt_build(select=select):
        return EXIT_BUILD_FAILED
    print(f"dbt docs: {generate_docs()}")
    return EXIT_OK


def _cmd_build(args) -> int:
    return _build()


def _cmd_run(args) -> int:
    ingested, summary = _ingest(args)
    # what was accepted reaches the marts; nothing loaded over current marts needs no build
    skipped = build_skip_reason(summary.loaded_types, forced=args.build)
    if skipped:
        print(skipped)
        return ingested
    return _build() or ingested


def _cmd_reprocess(args) -> int:
    outcomes = reprocess_by_id(args.submission_id)
    loaded_types = {o["submission_type"] for o in outcomes if o["action"] == ReprocessAction.LOADED}
    if loaded_types and not rebuild_marts(loaded_types):
        return EXIT_BUILD_FAILED
    return EXIT_OK


def _cmd_status(args) -> int:
    print_register(limit=args.limit, status=args.status)
    return 0


def _cmd_summary(args) -> int:
    print_summary()
    return 0


def _cmd_audit_verify(args) -> int:
    reports = verify_chains(record=args.record)
    print_verification(reports)
    return 1 if any(r.broken for r in reports) else 0


def _cmd_audit_pack(args) -> int:
    try:
        print_pack(args.month, args.out, args.zip)
    except AuditPackError as exc:
        print(f"swdw audit pack: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return EXIT_OK


def _cmd_backup(args) -> int:
    try:
        print_backup(args.out, args.include_secrets)
    except BackupError as exc:
        print(f"swdw backup: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return EXIT_OK


def _cmd_restore(args) -> int:
    try:
        intact = print_restore(args.folder)
    except BackupError as exc:
        print(f"swdw restore: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return EXIT_OK if intact else EXIT_BUILD_FAILED


def _cmd_explain(args) -> int:
    try:
        print_explanation(args.mart, args.key)
    except ExplainError as exc:
        print(f"swdw explain: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return EXIT_OK


def _cmd_bi(args) -> int:
    if args.bi_command == "up":
        server.up(args.port)
        return 0
    if args.bi_command == "down":
        print("Superset stopped" if server.down() else "Superset was not running")
        return 0
    state = server.status(args.port)
    print(
        f"Superset: {'running' if state.running else 'stopped'}"
        + (
            f" (pid {state.pid}) at {state.url}, {'answering' if state.answering else 'not answering'}"
            if state.running
            else ""
        )
    )
    return 0 if state.answering else 1


def _cmd_report(args) -> int:
    monthly_report.run(args.month, args.out, args.mail_to)
    return EXIT_OK


def _cmd_airflow(args) -> int:
    if args.airflow_command == "up":
        up = services.up(host=args.host, port=args.port, executor=args.executor, workers=args.workers)
        services.print_up(up)
        return 0
    if args.airflow_command == "down":
        print("stopped: " + (", ".join(services.down()) or "nothing was running"))
        return 0
    return services.print_status(services.status())


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="swdw",
        description="Social-work data warehouse",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes: 0 done (run: marts refreshed); 2 could not run (warehouse unreachable, configuration);\n"
        "1 dbt build failed (marts stale); 4 a file failed with an internal error; 3 --strict and a file was\n"
        "quarantined. When several apply, the first listed wins.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="ingest every new landing file, then dbt build")
    run.add_argument("--strict", action="store_true", help="exit 3 if any file was quarantined")
    run.add_argument(
        "--build", action="store_true", help="build even when nothing was loaded and the marts are current"
    )
    run.set_defaults(func=_cmd_run)
    ingest = sub.add_parser("ingest", help="ingest every new landing file")
    ingest.add_argument("--strict", action="store_true", help="exit 3 if any file was quarantined")
    ingest.set_defaults(func=_cmd_ingest)
    sub.add_parser("build", help="dbt build of staging, intermediate and marts").set_defaults(func=_cmd_build)
    again = sub.add_parser("reprocess", help="re-validate a kept original under its own submission id")
    again.add_argument("submission_id", type=int)
    again.set_defaults(func=_cmd_reprocess)
    status = sub.add_parser("status", help="the submission register, newest first")
    status.add_argument("--limit", type=int, default=50)
    status.add_argument(
        "--status",
        choices=[status.value for status in SubmissionStatus],
        help="only submissions in this state",
    )
    status.set_defaults(func=_cmd_status)
    sample = sub.add_parser("sample", help="write realistic messy sample submissions")
    sample.add_argument("--out", required=True)
    sample.add_argument("--scale", type=int, default=1)
    sample.set_defaults(func=_cmd_sample)
    sub.add_parser("summary", help="headline figures from the marts").set_defaults(func=_cmd_summary)
    audit = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="recompute the audit tables' hash chains; exit 1 at a broken link")
    verify.add_argument(
        "--record", action="store_true", help="when every chain holds, record their heads in the artifacts folder"
    )
    verify.set_defaults(func=_cmd_audit_verify)
    pack = audit.add_parser(
        "pack", help="one folder for auditors: a month's register, provenance, validation pages, feedback, chain heads"
    )
    pack.add_argument("--month", required=True, help="the reporting month, YYYY-MM")
    pack.add_argument("--out", help="the folder to write (default $SWDW_HOME/artifacts/audit_packs/audit-pack-MONTH)")
    pack.add_argument("--zip", action="store_true", help="also write the folder as a .zip beside it")
    pack.set_defaults(func=_cmd_audit_pack)
    backup = sub.add_parser(
        "backup", help="the warehouse database, kept originals and artifacts as one folder with a sha256 manifest"
    )
    backup.add_argument("--out", help="a new or empty folder (default ./swdw-backup-<UTC time>)")
    backup.add_argument(
        "--include-secrets", action="store_true", help="also copy the PII key and generated passwords (0600)"
    )
    backup.set_defaults(func=_cmd_backup)
    restore = sub.add_parser(
        "restore", help="a backup into an empty SWDW_HOME or database, then verify the audit chains (exit 1 if broken)"
    )
    restore.add_argument("folder", help="the folder `swdw backup` wrote")
    restore.set_defaults(func=_cmd_restore)
    explain = sub.add_parser(
        "explain",
        help="a mart figure with its numerator, denominator and the files behind it",
        description="e.g. swdw explain coverage 2024-12 340603 enterprise (KEY: the mart's grain, months as YYYY-MM)",
    )
    explain.add_argument("mart", help="coverage, service_counts, petition_conversion or submission_quality")
    explain.add_argument("key", nargs="*", help="the mart row's grain values in grain order")
    explain.set_defaults(func=_cmd_explain)
    bi = sub.add_parser("bi", help="Apache Superset with the committed dashboards on 127.0.0.1:8088")
    bi.add_argument("bi_command", choices=["up", "down", "status"])
    bi.add_argument("--port", type=int, default=None, help="default $SWDW_BI_PORT or 8088")
    bi.set_defaults(func=_cmd_bi)
    report = sub.add_parser("report", help="the monthly PDF for leaders: a cover and every dashboard")
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--out", type=Path, default=None, help="default $SWDW_HOME/reports/swdw-report-YYYY-MM.pdf")
    report.add_argument("--mail-to", nargs="+", default=[], metavar="ADDR", help="mail the PDF via swdw_smtp")
    report.set_defaults(func=_cmd_report)
    airflow = sub.add_parser("airflow", help="the Airflow services on this machine (UI, scheduler, triggerer)")
    airflow.add_argument("airflow_command", choices=["up", "down", "status"])
    airflow.add_argument("--host", default="127.0.0.1", help="api-server address (up)")
    airflow.add_argument("--port", type=int, default=8080, help="api-server port (up)")
    airflow.add_argument(
        "--executor", choices=services.EXECUTORS, default="local", help="local (default) or celery workers (up)"
    )
    airflow.add_argument("--workers", type=_positive, default=2, help="Celery workers with --executor celery (up)")
    airflow.set_defaults(func=_cmd_airflow)
    mail = sub.add_parser("mail", help="the intake mailbox").add_subparsers(dest="mail_command", required=True)
    mail.add_parser(
        "poll", help="land the reports registered departments mailed (connection swdw_imap), answer the refused"
    ).set_defaults(func=_cmd_mail_poll)
    sub.add_parser("dsn", help="print the warehouse URI").set_defaults(func=_cmd_dsn)
    sub.add_parser("pii-fingerprint", help="print the fingerprint of the PII key in use").set_defaults(
        func=_cmd_pii_fingerprint
    )
    sub.add_parser("upgrade", help="apply pending warehouse migrations and print them").set_defaults(func=_cmd_upgrade)
    sub.add_parser("stop", help="stop the embedded PostgreSQL server").set_defaults(func=_cmd_stop)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the CLI prints a reason, not a traceback
        print(f"swdw {args.command}: error: {' '.join(str(exc).split()) or type(exc).__name__}", file=sys.stderr)
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
