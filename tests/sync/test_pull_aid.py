"""The pull's aid summary: a household's receipts and its members' receipts, each counted once, per program
(the query reads them as two index-driven branches; this pins what the phone sees)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from server.aid.models import AidProgram, AidReceipt
from server.extensions import db
from tests.factories import make_household, make_member, make_user
from tests.sync.conftest import assign, bearer, campaign


def _receipt(program: str, start: date, end: date, status: str, *, household=None, member=None) -> None:
    program_id = db.session.execute(sa.select(AidProgram.id).where(AidProgram.code == program)).scalar_one()
    db.session.add(
        AidReceipt(
            program_id=program_id,
            household_id=household.id if household else None,
            member_id=member.id if member else None,
            period_start=start,
            period_end=end,
            source="agency_list",
            status=status,
        )
    )


def test_aid_summary_joins_family_and_member_receipts_each_once(sync_ctx, sync_client):
    enumerator = make_user("enumerator")
    home, neighbour = make_household(), make_household()
    child, other = make_member(home), make_member(neighbour)
    _receipt("PKH", date(2025, 1, 1), date(2025, 3, 31), "disbursed", household=home)
    _receipt("PKH", date(2025, 4, 1), date(2025, 6, 30), "suspended", household=home, member=child)
    _receipt("PIP", date(2025, 7, 1), date(2025, 12, 31), "listed", member=child)
    # A member's receipt filed under another household still belongs to the member's own household.
    _receipt("PBI-JK", date(2025, 1, 1), date(2025, 12, 31), "listed", household=neighbour, member=child)
    _receipt("BPNT", date(2025, 1, 1), date(2025, 1, 31), "disbursed", member=other)
    assign(campaign(), [home], enumerator)
    db.session.commit()

    response = sync_client.get("/api/v1/sync/pull?limit=10", headers=bearer(enumerator))
    assert response.status_code == 200
    (household,) = response.get_json()["data"]["households"]
    assert household["aid"] == [
        {"program_code": "PBI-JK", "period_start": "2025-01-01", "period_end": "2025-12-31", "status": "listed"},
        {"program_code": "PIP", "period_start": "2025-07-01", "period_end": "2025-12-31", "status": "listed"},
        {"program_code": "PKH", "period_start": "2025-01-01", "period_end": "2025-06-30", "status": "suspended"},
    ]
