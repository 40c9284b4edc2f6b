"""Make the GX Data Docs site render with no network (auditors in government networks have none).

GX pages load Bootstrap, jQuery, Font Awesome, Vega and a logo from CDNs. After every docs
build, `make_offline` rewrites the pages it touched: remote stylesheets and scripts become
one local stylesheet and one small script (committed under
expectations/plugins/custom_data_docs/offline/ and copied to <site>/static/offline/),
remote images and CSS backgrounds are dropped, and GX's newsletter footer is removed.
The rewrite is idempotent; `python -m ingest.quality.data_docs` rewrites a whole site.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
from pathlib import Path

from ingest.artifact_store import DATA_DOCS_KEY, artifact_store
from ingest.config import EXPECTATIONS_DIR

ASSETS_DIR = EXPECTATIONS_DIR / "plugins" / "custom_data_docs" / "offline"
ASSETS = ("offline.css", "offline.js")  # copied to every site
SITE_ASSETS = Path("static") / "offline"

_REMOTE = r"""["']\s*(?:https?:)?//[^"']*["']"""
REMOTE_LINK = re.compile(rf"<link\b[^>]*\bhref\s*=\s*{_REMOTE}[^>]*>\s*", re.I)
REMOTE_SCRIPT = re.compile(rf"<script\b[^>]*\bsrc\s*=\s*{_REMOTE}[^>]*>\s*</script>\s*", re.I)
REMOTE_IMG = re.compile(rf"<img\b[^>]*\bsrc\s*=\s*{_REMOTE}[^>]*>", re.I | re.S)
REMOTE_CSS_URL = re.compile(r"""url\(\s*["']?(?:https?:)?//[^)]*\)""", re.I)
GX_FOOTER = re.compile(r"<footer>\s*<p>Stay current on everything GX.*?</footer>", re.I | re.S)
MARKER = "<!-- swdw:offline -->"

# what a test or an auditor's proxy log would call a remote reference in a page
REMOTE_REFERENCE = re.compile(
    rf"<(?:link|script|img|iframe|source|embed)\b[^>]*\b(?:href|src)\s*=\s*{_REMOTE}|{REMOTE_CSS_URL.pattern}", re.I
)


def asset_text(name: str) -> str:
    """A static file of our own pages (beside offline.js), read when a page is rendered and inlined in it."""
    return (ASSETS_DIR / name).read_text(encoding="utf-8")


def _install_assets(site: Path) -> None:
    target = site / SITE_ASSETS
    target.mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        source, copy = ASSETS_DIR / name, target / name
        if not copy.exists() or not filecmp.cmp(source, copy, shallow=False):
            shutil.copyfile(source, copy)


def offline_html(html: str, prefix: str) -> str:
    """The page without remote references; `prefix` is the relative path to the site root."""
    html = REMOTE_LINK.sub("", html)
    html = REMOTE_SCRIPT.sub("", html)
    html = REMOTE_IMG.sub('<span class="swdw-brand">swdw · 数据校验文档 Data Docs</span>', html)
    html = REMOTE_CSS_URL.sub("none", html)
    html = GX_FOOTER.sub("", html)
    if MARKER not in html:
        local = (
            f'{MARKER}\n<link rel="stylesheet" href="{prefix}{SITE_ASSETS.as_posix()}/offline.css">\n'
            f'<script src="{prefix}{SITE_ASSETS.as_posix()}/offline.js"></script>\n'
        )
        html = re.sub(r"</head>", lambda _: local + "</head>", html, count=1, flags=re.I)
    return html


def make_offline(site: Path, since: float | None = None) -> list[Path]:
    """Rewrite the site's pages (only those written at or after `since`, if given)."""
    site = Path(site)
    if not site.exists():
        return []
    changed = _offline_static(site)
    for page in site.rglob("*.html"):
        if since is not None and page.stat().st_mtime < since - 1:
            continue
        if _rewrite_page(site, page):
            changed.append(page)
    return changed


def _offline_static(site: Path) -> list[Path]:
    """Install the local assets and strip remote URLs from GX's stylesheets; returns the sheets changed."""
    _install_assets(site)
    changed = []
    for sheet in (site / "static").rglob("*.css"):  # GX copies its stylesheet with a remote logo in it
        css = sheet.read_text(encoding="utf-8")
        if REMOTE_CSS_URL.search(css):
            sheet.write_text(REMOTE_CSS_URL.sub("none", css), encoding="utf-8")
            changed.append(sheet)
    return changed


def _rewrite_page(site: Path, page: Path) -> bool:
    html = page.read_text(encoding="utf-8")
    prefix = os.path.relpath(site, page.parent).replace(os.sep, "/") + "/"
    if prefix == "./":
        prefix = ""
    rewritten = offline_html(html, prefix)
    if rewritten != html:
        page.write_text(rewritten, encoding="utf-8")
    return rewritten != html


def make_offline_page(site: Path, page: Path) -> bool:
    """Rewrite one page (and install the local assets once): the flat-cost path of a new validation."""
    if not (Path(site) / SITE_ASSETS / ASSETS[0]).exists():
        _offline_static(Path(site))
    return _rewrite_page(Path(site), Path(page))


def remote_references(site: Path) -> dict[str, list[str]]:
    """page or stylesheet -> remote resource references still in it (empty when offline-clean)."""
    found = {}
    pages = [*Path(site).rglob("*.html"), *Path(site).rglob("*.css")]
    for page in pages:
        hits = [m.group(0)[:120] for m in REMOTE_REFERENCE.finditer(page.read_text(encoding="utf-8"))]
        if hits:
            found[str(page)] = hits
    return found


if __name__ == "__main__":
    pages = make_offline(artifact_store().local_path(DATA_DOCS_KEY))
    print(f"made {len(pages)} pages offline under {artifact_store().local_path(DATA_DOCS_KEY)}")
