"""The locked URL fetcher behind every PDF: the app's own static files, and nothing else."""

from __future__ import annotations

import os

import pytest

from marketplace.app import ROOT
from marketplace.pdf import PDF_HOST, FetchRefused, LockedFetcher

STATIC = ROOT / "static"
BASE = f"http://{PDF_HOST}"


@pytest.fixture
def fetcher() -> LockedFetcher:
    return LockedFetcher(STATIC)


@pytest.mark.parametrize("url", [
    # the server's files
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "file://localhost/etc/passwd",
    f"file://{STATIC}/pdf/addendum.css",
    # the network
    "http://example.com/x.css",
    "https://example.com/static/pdf/addendum.css",
    "http://127.0.0.1/static/pdf/addendum.css",
    "http://169.254.169.254/latest/meta-data/",
    "//example.com/x.css",
    "ftp://example.com/x.css",
    f"http://{PDF_HOST}.evil.example/static/pdf/addendum.css",
    f"http://user@{PDF_HOST}/static/pdf/addendum.css",
    f"http://{PDF_HOST}@evil.example/static/pdf/addendum.css",
    f"http://{PDF_HOST}:8080/static/pdf/addendum.css",
    # inline data and scripts
    "data:text/css,body{background:url(file:///etc/passwd)}",
    "data:image/png;base64,iVBORw0KGgo=",
    "javascript:alert(1)",
    # out of the static folder
    f"{BASE}/static/../marketplace/app.py",
    f"{BASE}/static/pdf/../../pyproject.toml",
    f"{BASE}/static/%2e%2e/pyproject.toml",
    f"{BASE}/static/..%2f..%2fetc%2fpasswd",
    f"{BASE}/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    f"{BASE}/static//etc/passwd",
    f"{BASE}/static/%2fetc%2fpasswd",
    f"{BASE}/etc/passwd",
    f"{BASE}/pyproject.toml",
    f"{BASE}/statics/pdf/addendum.css",
    # not a file
    f"{BASE}/static/",
    f"{BASE}/static/pdf",
    f"{BASE}/static/no-such-file.css",
])
def test_refuses_everything_but_static_files(fetcher, url):
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)


def test_serves_a_real_static_file(fetcher):
    response = fetcher.fetch(f"{BASE}/static/pdf/addendum.css")
    assert response.read() == (STATIC / "pdf" / "addendum.css").read_bytes()
    assert response.headers.get_content_type() == "text/css"


def test_serves_a_static_file_over_https_and_with_a_query(fetcher):
    response = fetcher.fetch(f"https://{PDF_HOST}/static/pdf/addendum.css?v=2")
    assert response.read() == (STATIC / "pdf" / "addendum.css").read_bytes()


def test_a_symlink_out_of_the_static_folder_is_refused(tmp_path):
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "ok.css").write_text("body { color: black }")
    os.symlink("/etc/passwd", tmp_path / "pdf" / "passwd.css")
    fetcher = LockedFetcher(tmp_path)
    assert fetcher.fetch(f"{BASE}/static/pdf/ok.css").read() == b"body { color: black }"
    with pytest.raises(FetchRefused):
        fetcher.fetch(f"{BASE}/static/pdf/passwd.css")


def test_never_falls_back_to_weasyprints_own_fetching(fetcher, monkeypatch):
    from weasyprint import urls

    def forbidden(*args, **kwargs):
        raise AssertionError("the default fetcher (urllib: files and the network) was used")

    monkeypatch.setattr(urls.URLFetcher, "open", forbidden)
    with pytest.raises(FetchRefused):
        fetcher.fetch("http://example.com/x.css")
    assert fetcher.fetch(f"{BASE}/static/pdf/addendum.css").read()
