"""Times are shown in the consortium's time zone (DESIGN section 4), on pages and in 409 sentences."""

from datetime import UTC, datetime
from types import SimpleNamespace

from flask import g

from marketplace.templating import when

MOMENT = datetime(2026, 12, 1, 6, 54, tzinfo=UTC)


def test_a_timestamp_is_shown_in_the_consortiums_zone(app):
    with app.test_request_context("/"):
        g.consortium = SimpleNamespace(time_zone="America/Phoenix")
        assert when(MOMENT) == "30 Nov 2026, 11:54 PM MST"
        g.consortium = SimpleNamespace(time_zone="America/Denver")
        assert when(MOMENT) == "30 Nov 2026, 11:54 PM MST"
        g.consortium = SimpleNamespace(time_zone="Europe/Berlin")
        assert when(MOMENT) == "1 Dec 2026, 7:54 AM CET"


def test_without_a_consortium_or_with_a_bad_zone_times_are_utc(app):
    with app.test_request_context("/"):
        assert when(MOMENT) == "1 Dec 2026, 6:54 AM UTC"
        g.consortium = SimpleNamespace(time_zone="Mars/Olympus")
        assert when(MOMENT) == "1 Dec 2026, 6:54 AM UTC"
