"""One structured log line per request (`marketplace.request`), with a request id echoed to the caller."""

from __future__ import annotations

import json
import logging
import re

import pytest

from marketplace.serving import logfmt
from tests.conftest import user

HEX_ID = re.compile(r"[0-9a-f]{32}")
LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


@pytest.fixture
def lines(caplog):
    """The request log's records at INFO and above (the suite's root logger stays at WARNING)."""
    caplog.set_level(logging.INFO, logger="marketplace.request")

    def _lines():
        return [r for r in caplog.records if r.name == "marketplace.request"]

    return _lines


def fields(record) -> dict:
    return record.request


def test_each_request_is_one_line_with_id_method_path_status_and_duration(client, lines):
    response = client.get("/glossary")
    assert response.status_code == 200
    [record] = lines()
    assert record.levelno == logging.INFO
    logged = fields(record)
    assert logged["method"] == "GET" and logged["path"] == "/glossary" and logged["status"] == 200
    assert float(logged["duration_ms"]) > 0
    assert logged["user_id"] is None
    assert HEX_ID.fullmatch(logged["request_id"])
    assert response.headers["X-Request-ID"] == logged["request_id"]
    message = record.getMessage()
    assert message.startswith(f"request_id={logged['request_id']} method=GET path=/glossary status=200 duration_ms=")
    assert message.endswith('user_id=""')


def test_two_requests_get_two_ids(client, lines):
    first = client.get("/glossary").headers["X-Request-ID"]
    second = client.get("/glossary").headers["X-Request-ID"]
    assert first != second
    assert [fields(r)["request_id"] for r in lines()] == [first, second]


def test_a_sane_request_id_from_the_proxy_is_kept(client, lines):
    response = client.get("/glossary", headers={"X-Request-ID": "7f3a-lb.01:42"})
    assert response.headers["X-Request-ID"] == "7f3a-lb.01:42"
    assert fields(lines()[0])["request_id"] == "7f3a-lb.01:42"


@pytest.mark.parametrize("supplied", ["has spaces", "x" * 65, "semi;colon", "key=value", "quote\"d", "-leading-dash",
                                      "ümlaut"])
def test_an_odd_request_id_is_replaced(client, lines, supplied):
    response = client.get("/glossary", headers={"X-Request-ID": supplied})
    assert HEX_ID.fullmatch(response.headers["X-Request-ID"])
    assert fields(lines()[0])["request_id"] == response.headers["X-Request-ID"]


def test_the_signed_in_user_is_named(client, login, lines):
    login("buyer@mesa.example")
    client.get("/c/gpsr/")
    record = lines()[-1]
    assert fields(record)["path"] == "/c/gpsr/" and fields(record)["status"] == 200
    assert fields(record)["user_id"] == user("buyer@mesa.example").id
    assert f"user_id={user('buyer@mesa.example').id}" in record.getMessage()


def test_the_api_token_user_is_named(client, api_token, lines):
    headers = api_token("vendor@parksense.example")
    client.get("/api/v1/me", headers=headers)
    assert fields(lines()[-1])["user_id"] == user("vendor@parksense.example").id


def test_errors_are_logged_with_their_status(client, lines):
    client.get("/c/gpsr/no-such-page")
    client.get("/c/no-such-consortium/catalog")
    assert [fields(r)["status"] for r in lines()] == [404, 404]


def test_secret_tokens_in_urls_are_not_written(client, lines):
    client.get("/reset-password/s3cr3t-reset-token")
    client.get("/invitations/s3cr3t-invite-token")
    assert [fields(r)["path"] for r in lines()] == ["/reset-password/<token>", "/invitations/<token>"]
    assert all("s3cr3t" not in r.getMessage() for r in lines())


def test_static_files_log_only_at_debug(client, caplog, lines):
    client.get("/static/css/marketplace.css")
    assert lines() == []
    caplog.set_level(logging.DEBUG, logger="marketplace.request")
    response = client.get("/static/css/marketplace.css")
    [record] = lines()
    assert record.levelno == logging.DEBUG and fields(record)["status"] == 200
    assert response.headers["X-Request-ID"] == fields(record)["request_id"]


def test_a_hostile_path_stays_on_one_line_and_cannot_fake_a_field(client, lines):
    client.get("/c/gpsr/x%0Astatus=200 user_id=1%22")
    message = lines()[0].getMessage()
    assert "\n" not in message
    pairs = [(key, json.loads(value) if value.startswith('"') else value) for key, value in LOGFMT.findall(message)]
    assert [key for key, _ in pairs] == ["request_id", "method", "path", "status", "duration_ms", "ip", "user_id"]
    assert dict(pairs)["path"] == '/c/gpsr/x\nstatus=200 user_id=1"'
    assert dict(pairs)["status"] == "404" and dict(pairs)["user_id"] == ""


def test_logfmt_quotes_only_what_needs_it():
    assert logfmt({"a": "plain/value-1.2", "b": None, "c": 3, "d": "two words", "e": "ü"}) == (
        'a=plain/value-1.2 b="" c=3 d="two words" e="\\u00fc"'
    )
