"""Validation pages kept true to the register: their facts published once a status is final.

A validation page is rendered while its file is still `validating`; the file name, sha256,
report period, final status and the paths of the feedback report and kept original are the
register's to tell after the file's transaction commits. The pipeline and reprocess publish
them then, for the file and for the snapshots it superseded (their pages now say so); the
audit pack publishes a month's pages again before copying them, so a page that missed an
update (a crash between commit and publishing) is right where an auditor reads it.
Publishing never fails a file: the pages are derived from the register, which holds the truth.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.config import calendar_settings
from ingest.quality.docs_site import working_site
from ingest.quality.validation_page import PageFacts, publish_facts
from ingest.warehouse import register

log = logging.getLogger(__name__)


def _url(uri: str | None) -> str | None:
    """A kept file's link: a local path as a file url, an object store's uri (s3://…) as it is."""
    if not uri:
        return None
    return uri if "://" in uri else Path(uri).as_uri()


def period_text(report_period, period_start, period_end) -> str | None:
    """2024-12 for a monthly report, the covered dates for an event file; None when neither is known."""
    if report_period is not None:
        return f"{report_period:%Y-%m}"
    if period_start is not None:
        return f"{period_start:%Y-%m-%d} 至 {period_end or period_start:%Y-%m-%d}"
    return None


def page_facts(row: dict) -> PageFacts:
    zone = ZoneInfo(calendar_settings()[1])
    return PageFacts(
        submission_id=row["submission_id"],
        department_code=row["department_code"],
        submission_type=row["submission_type"],
        file_name=row["file_name"],
        report_period=period_text(row["report_period"], row["period_start"], row["period_end"]),
        month=row["period_month"],
        received_at=f"{row['received_at'].astimezone(zone):%Y-%m-%d %H:%M:%S %z}",
        sha256=row["sha256"],
        status=row["status"],
        status_reason=row["status_reason"],
        superseded_by=row["superseded_by"],
        feedback_url=_url(row["feedback_path"]),
        original_url=_url(row["archive_path"]),
        contract_version=row["contract_version"],
    )


def publish_pages(conn, submission_ids, extra_urls: dict[int, list[str]] | None = None) -> int:
    """Publish the register's facts on the pages of these submissions; returns the pages rewritten."""
    site = working_site()
    published = 0
    for row in register.register_rows(conn, "submission_id = any(%s)", (list(submission_ids),)):
        urls = [row["data_docs_url"], *(extra_urls or {}).get(row["submission_id"], [])]
        facts = page_facts(row)
        for url in dict.fromkeys(u for u in urls if u):
            published += publish_facts(site, url, facts)
    return published


def publish_after_status(conn, submission_id: int, extra_urls: list[str] | None = None) -> None:
    """After a file's final status: its page(s) and the pages of the snapshots it superseded. Never raises."""
    try:
        superseded = register.superseded_by(conn, submission_id)
        publish_pages(conn, [submission_id, *superseded], {submission_id: extra_urls or []})
    except Exception as exc:  # the pages are derived: the register holds the truth, the audit pack republishes
        print(
            f"validation pages of submission {submission_id} not updated: {type(exc).__name__}: {exc}", file=sys.stderr
        )
        log.warning("validation pages of submission %s not updated", submission_id, exc_info=True)
