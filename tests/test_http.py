"""The JSON writer: every date and time in ISO 8601 (defect: Flask's default wrote RFC 822 on imports)."""

import json
from datetime import UTC, date, datetime


def test_dates_and_times_are_written_in_iso_8601(app):
    with app.app_context():
        body = app.json.dumps({"day": date(2026, 1, 1), "at": datetime(2026, 11, 30, 6, 51, tzinfo=UTC)})
    assert json.loads(body) == {"day": "2026-01-01", "at": "2026-11-30T06:51:00+00:00"}


def test_an_rfc_822_date_in_an_answer_is_reported_by_the_document_check(app):
    from server.openapi.check import RFC822_DATE

    assert RFC822_DATE.match("Thu, 01 Jan 2026 00:00:00 GMT")
    assert not RFC822_DATE.match("2026-01-01")
