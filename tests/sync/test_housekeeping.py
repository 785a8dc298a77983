"""Housekeeping: tombstones older than any valid cursor and uploads never finished are removed, nothing else."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from server.campaigns.models import Tombstone
from server.extensions import db
from server.photos.models import UploadSession
from tests.factories import make_household, make_user


def test_prune_tombstones_keeps_those_a_live_cursor_may_need(app, db_session):
    household = make_household()
    old = Tombstone(household_id=household.id, reason="removed", created_at=datetime.now(UTC) - timedelta(days=40))
    recent = Tombstone(household_id=household.id, reason="removed", created_at=datetime.now(UTC) - timedelta(days=5))
    db.session.add_all([old, recent])
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["sync", "prune"])
    assert result.exit_code == 0 and "1 tombstones" in result.output
    left = db.session.execute(sa.select(Tombstone.id).where(Tombstone.household_id == household.id)).scalars().all()
    assert left == [recent.id]


def test_prune_uploads_drops_only_unfinished_old_ones(app, db_session, tmp_path):
    original, app.config["PHOTO_STORE"] = app.config["PHOTO_STORE"], str(tmp_path)
    try:
        user = make_user("enumerator")
        digest = hashlib.sha256(b"x").hexdigest()
        long_ago = datetime.now(UTC) - timedelta(days=30)
        stale = UploadSession(user_id=user.id, photo_id=uuid.uuid4(), sha256=digest, length=10, created_at=long_ago)
        done = UploadSession(
            user_id=user.id,
            photo_id=uuid.uuid4(),
            sha256=digest,
            length=10,
            offset=10,
            created_at=long_ago,
            completed_at=long_ago,
        )
        fresh = UploadSession(user_id=user.id, photo_id=uuid.uuid4(), sha256=digest, length=10)
        db.session.add_all([stale, done, fresh])
        db.session.flush()
        (tmp_path / "uploads").mkdir()
        part = tmp_path / "uploads" / f"{stale.id}.part"
        part.write_bytes(b"12345")
        result = app.test_cli_runner().invoke(args=["photos", "prune-uploads"])
        assert result.exit_code == 0 and "1 unfinished" in result.output
        left = set(db.session.execute(sa.select(UploadSession.id).where(UploadSession.user_id == user.id)).scalars())
        assert left == {done.id, fresh.id} and not part.exists()
    finally:
        app.config["PHOTO_STORE"] = original
