"""`swdw report --month YYYY-MM`: the monthly PDF for leaders — a cover with the month's headline
figures (numerators and denominators from the provenance mart, build time from mart_build_info),
then every dashboard of the running Superset as the viewer sees it with its 统计期 filter set to
the month, one PDF.

Reads the warehouse as the BI path does (the read-only swdw_bi_reader login) and Superset as
the viewer; starts nothing: `swdw bi up` must be running.
"""

from __future__ import annotations

import base64
import html
import io
import re
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest import notify
from ingest.bi import browser, server
from ingest.bi.reader_login import reader_dsn
from ingest.bi.superset_env import bi_paths
from ingest.config import city_timezone, settings
from ingest.warehouse import marts_read
from ingest.warehouse.connection import warehouse_dsn

TITLE = "市委社会工作部 月度数据报告"
MONTH_PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# the dashboards are laid out for a wide screen; the picture of one is scaled onto A4 landscape
VIEWPORT = {"width": 1400, "height": 2200}
PDF_OPTIONS = {"format": "A4", "landscape": True, "print_background": True}


class ReportUnavailable(RuntimeError):
    """The report cannot be made: Superset is not running, the month is malformed or has no data."""


@dataclass(frozen=True)
class MonthFigures:
    month: str
    party: tuple[int, int]  # organisations with a party organisation / organisations
    mass: tuple[int, int]  # union + youth league + women's federation / 3 × organisations
    suggestions: tuple[int, int]  # converted / received
    built_at: object
    register_submission_id: int | None
    register_changes_since_build: int


@dataclass(frozen=True)
class Report:
    path: Path
    pages: int
    seconds_per_dashboard: dict[str, float]


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "—"


def month_figures(month: str) -> MonthFigures:
    import psycopg

    password = bi_paths().reader_password.read_text().strip()
    with psycopg.connect(reader_dsn(warehouse_dsn(), password)) as conn:
        if marts_read.month_coverage(conn, month) is None:
            raise ReportUnavailable(f"the marts hold no coverage figures for {month}")
        ratios = marts_read.month_ratios(conn, month)
        built_at, submission_id, changes = marts_read.build_position(conn)
    return MonthFigures(
        month=month,
        party=ratios.get("party_org_coverage_rate", (0, 0)),
        mass=ratios.get("mass_org_avg_coverage_rate", (0, 0)),
        suggestions=ratios.get("conversion_rate", (0, 0)),
        built_at=built_at,
        register_submission_id=submission_id,
        register_changes_since_build=changes,
    )


def cover_html(figures: MonthFigures) -> str:
    rows = [
        ("党组织覆盖率", *figures.party),
        ("群团组织平均覆盖率", *figures.mass),
        ("群众建议转化", *figures.suggestions),
    ]
    body = "".join(
        f"<tr><th>{html.escape(name)}</th><td class='figure'>{percent(part, whole)}</td><td>{part:,} / {whole:,}</td></tr>"
        for name, part, whole in rows
    )
    zone = city_timezone()
    built = "—" if figures.built_at is None else f"{figures.built_at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"
    stale = (
        f"（构建后登记簿又有 {figures.register_changes_since_build} 条变更）"
        if figures.register_changes_since_build
        else ""
    )
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
body {{ font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; margin: 40mm 30mm; }}
h1 {{ font-size: 30pt; margin-bottom: 4mm; }} h2 {{ font-size: 20pt; color: #555; }}
table {{ border-collapse: collapse; margin-top: 12mm; font-size: 16pt; }}
th, td {{ padding: 3mm 8mm; border-bottom: 1px solid #ccc; text-align: left; }}
.figure {{ font-weight: bold; }} footer {{ margin-top: 14mm; color: #666; font-size: 11pt; }}
</style></head><body>
<h1>{html.escape(TITLE)}</h1><h2>统计期 {figures.month}</h2>
<table>{body}</table>
<footer>数据构建于 {built}（{zone} 时间）；登记簿位置：报送编号 {figures.register_submission_id}{stale}</footer>
</body></html>"""


def _picture_page(png: bytes, slug: str, text: str) -> str:
    # the dashboard as its screenshot, not re-laid out for print: printing re-sizes the charts
    # and chromium prints before they have drawn again. Under the picture, covered by it, the
    # text the dashboard showed (figures, tables, titles, the chosen 统计期), as a scanned page's
    # text layer: the PDF can be searched and its figures copied
    data = base64.b64encode(png).decode()
    words = html.escape(" ".join(text.split()))
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>body{margin:0;position:relative}"
        " img{width:100%;position:relative;z-index:1;display:block}"
        " .text{position:absolute;top:0;left:0;right:0;z-index:0;font-size:2px;line-height:2px}</style></head>"
        f"<body><div class='text'>{words}</div><img alt='{html.escape(slug)}' src='data:image/png;base64,{data}'>"
        "</body></html>"
    )


def render(month: str, out: Path | None = None, port: int | None = None, announce=print) -> Report:
    """Cover + every dashboard into one PDF at `out` (default $SWDW_HOME/reports/)."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    if not MONTH_PATTERN.fullmatch(month):
        raise ReportUnavailable(f"--month {month!r} is not YYYY-MM")
    state = server.status(port)
    if not state.answering:
        raise ReportUnavailable(f"Superset is not running at {state.url}: start it with `swdw bi up`")
    out = out or settings().home / "reports" / f"swdw-report-{month}.pdf"
    figures = month_figures(month)
    viewer_password = bi_paths().viewer_password.read_text().strip()
    parts: list[bytes] = []
    seconds: dict[str, float] = {}
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        try:
            page = chromium.new_page(viewport=VIEWPORT, locale="zh-CN")
            page.set_content(cover_html(figures), wait_until="load")
            parts.append(page.pdf(**PDF_OPTIONS))
            browser.login(page, state.url, "viewer", viewer_password)
            for slug, charts in browser.bundle_dashboards().items():
                rendered = browser.open_dashboard(page, state.url, slug, charts, month=month)
                seconds[slug] = rendered.seconds
                announce(f"{slug}: {rendered.charts} charts rendered in {rendered.seconds:.1f}s")
                png = browser.whole_page_picture(page, slug, charts)
                printer = chromium.new_page(locale="zh-CN")
                printer.set_content(_picture_page(png, slug, rendered.text), wait_until="load")
                parts.append(printer.pdf(**PDF_OPTIONS))
                printer.close()
        finally:
            chromium.close()
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Title": f"{TITLE} {month}"})
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        writer.write(handle)
    report = Report(out, len(writer.pages), seconds)
    announce(f"{out} ({report.pages} pages)")
    return report


def mail(report: Report, month: str, recipients: list[str]) -> None:
    """The PDF attached, through the notifier's swdw_smtp connection."""
    conn = notify.connection(notify.SMTP_CONN_ID)
    if conn is None:
        raise ReportUnavailable(f"--mail-to needs the {notify.SMTP_CONN_ID} connection (see ingest/notify.py)")
    message = EmailMessage()
    message["Subject"] = f"{TITLE} {month}"
    message["From"], message["To"] = notify.sender_address(conn), ", ".join(recipients)
    message.set_content(f"{TITLE}（{month}）见附件 {report.path.name}。")
    message.add_attachment(report.path.read_bytes(), maintype="application", subtype="pdf", filename=report.path.name)
    notify.send_message(conn, message)


def run(month: str, out: Path | None, mail_to: list[str], announce=print) -> Report:
    started = time.monotonic()
    report = render(month, out, announce=announce)
    if mail_to:
        mail(report, month, mail_to)
        announce(f"mailed to {', '.join(mail_to)}")
    announce(f"report made in {time.monotonic() - started:.1f}s")
    return report
