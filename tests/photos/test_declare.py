"""declare_photos / missing_photo_ids: the contract the sync push relies on."""

import hashlib
import uuid
from datetime import UTC, datetime

from server.extensions import db
from server.photos import service
from server.photos.models import Photo
from server.types import Outcome
from server.visits.models import Visit
from tests.factories import make_household, make_user


def _visit() -> Visit:
    household = make_household()
    user = make_user()
    visit = Visit(
        id=uuid.uuid4(),
        household_id=household.id,
        enumerator_id=user.id,
        device_time=datetime.now(UTC),
        no_fix_reason="indoors",
        outcome=Outcome.FOUND,
        consent=True,
        answers={},
        content_hash="0" * 64,
    )
    db.session.add(visit)
    db.session.flush()
    return visit


def test_declare_creates_rows_once_and_reports_missing(db_session):
    visit = _visit()
    a, b = uuid.uuid4(), uuid.uuid4()
    declared = [
        {"id": str(a), "kind": "house_front", "sha256": hashlib.sha256(b"a").hexdigest()},
        {"id": b, "kind": "kitchen", "sha256": hashlib.sha256(b"b").hexdigest().upper()},
    ]
    assert service.declare_photos(visit.id, declared) == [a, b]
    assert service.declare_photos(visit.id, declared) == [a, b]  # replay: no duplicate rows
    assert db.session.query(Photo).filter_by(visit_id=visit.id).count() == 2
    assert db.session.get(Photo, b).sha256 == hashlib.sha256(b"b").hexdigest()

    db.session.get(Photo, a).uploaded_at = datetime.now(UTC)
    db.session.flush()
    assert service.missing_photo_ids(visit.id) == [b]
    assert service.declare_photos(visit.id, declared) == [b]
