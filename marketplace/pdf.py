"""PDF rendering with WeasyPrint through a locked URL fetcher.

The fetcher serves only the application's own static files, read straight from the `static/`
folder; `file:`, `data:` beyond small images, and every network URL are refused. So text a user
typed into an addendum or a statement can never make the renderer read the server's files or
reach the network.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)

STATIC_PREFIX = "/static/"
# A made-up origin for relative URLs in rendered documents; nothing is ever fetched from it.
PDF_HOST = "marketplace.local"


class FetchRefused(ValueError):
    """WeasyPrint asked for a URL outside the app's static files."""


class LockedFetcher(URLFetcher):
    """Serves `/static/...` from the app's static folder and refuses everything else."""

    def __init__(self, static_root: Path):
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.root = static_root.resolve()

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != PDF_HOST:
            log.warning("PDF renderer refused %s", url[:200])
            raise FetchRefused(f"refused to fetch {url[:200]}")
        path = unquote(parts.path)
        target = (self.root / path[len(STATIC_PREFIX):]).resolve() if path.startswith(STATIC_PREFIX) else None
        if target is None or not target.is_relative_to(self.root) or not target.is_file():
            log.warning("PDF renderer refused %s", url[:200])
            raise FetchRefused(f"refused to fetch {url[:200]}")
        mime, _ = mimetypes.guess_type(target.name)
        return URLFetcherResponse(url, body=target.read_bytes(),
                                  headers={"Content-Type": mime or "application/octet-stream"})


def render_pdf(template: str, **context) -> bytes:
    """Render a Jinja template to PDF bytes; stylesheets come from `/static/` via the locked fetcher."""
    html = render_template(template, **context)
    static_root = Path(current_app.static_folder)
    fetcher = LockedFetcher(static_root)
    return HTML(string=html, base_url=f"http://{PDF_HOST}/", url_fetcher=fetcher).write_pdf()
