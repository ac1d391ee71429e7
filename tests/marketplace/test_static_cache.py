"""Static files are linked with a content fingerprint (`?v=`) and cached for a year under it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask, url_for

from marketplace.serving import STATIC_LONG_MAX_AGE, STATIC_SHORT_MAX_AGE, add_static_version, static_version

ROOT = Path(__file__).resolve().parents[2]


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_a_page_links_its_stylesheet_by_fingerprint(client):
    page = client.get("/glossary").get_data(as_text=True)
    [href] = re.findall(r'href="(/static/css/marketplace\.css[^"]*)"', page)
    assert href == f"/static/css/marketplace.css?v={_fingerprint(ROOT / 'static/css/marketplace.css')}"
    scripts = re.findall(r'src="(/static/[^"]+\.js[^"]*)"', page)
    assert scripts and all(re.search(r"\?v=[0-9a-f]{12}$", src) for src in scripts)


def test_the_fingerprinted_file_is_cached_for_a_year(client):
    page = client.get("/glossary").get_data(as_text=True)
    [href] = re.findall(r'href="(/static/css/marketplace\.css[^"]*)"', page)
    response = client.get(href)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == f"public, max-age={STATIC_LONG_MAX_AGE}, immutable"
    assert response.data == (ROOT / "static/css/marketplace.css").read_bytes()


def test_without_the_current_fingerprint_the_cache_is_short(client):
    for url in ("/static/css/marketplace.css", "/static/css/marketplace.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == f"public, max-age={STATIC_SHORT_MAX_AGE}", url


def test_a_revalidated_file_keeps_its_cache_header(client):
    first = client.get("/static/css/marketplace.css")
    again = client.get("/static/css/marketplace.css", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == f"public, max-age={STATIC_SHORT_MAX_AGE}"


def test_a_missing_static_file_is_a_plain_404(client):
    response = client.get("/static/css/no-such-file.css?v=abc")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def _app_with_static(folder: Path) -> Flask:
    app = Flask("fingerprint-test", static_folder=str(folder), static_url_path="/static")
    app.url_defaults(add_static_version)
    app.config["SERVER_NAME"] = "localhost"
    return app


def test_changing_a_file_changes_its_fingerprint(tmp_path):
    (tmp_path / "site.css").write_text("body { color: black; }")
    app = _app_with_static(tmp_path)
    first = static_version(app, "site.css")
    assert first == _fingerprint(tmp_path / "site.css")
    assert static_version(app, "site.css") == first  # unchanged file: the same (cached) answer
    (tmp_path / "site.css").write_text("body { color: darkblue; }")
    second = static_version(app, "site.css")
    assert second != first and second == _fingerprint(tmp_path / "site.css")
    with app.app_context():
        assert url_for("static", filename="site.css") == f"http://localhost/static/site.css?v={second}"


def test_names_that_are_not_files_get_no_fingerprint(tmp_path):
    (tmp_path / "sub").mkdir()
    app = _app_with_static(tmp_path)
    assert static_version(app, "no-such.css") is None
    assert static_version(app, "sub") is None
    assert static_version(app, "../etc/passwd") is None
    with app.app_context():
        assert url_for("static", filename="no-such.css") == "http://localhost/static/no-such.css"
