"""Backups you can restore (issue 20): `flask backup create` on a database with visits and uploaded photos,
then `flask backup restore` into a fresh database and an empty photo store: every visit and every photo
(by SHA-256 of the restored bytes) is there. A damaged backup is refused before anything is written."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
import sqlalchemy as sa

from server.extensions import db
from tests.factories import make_household, make_user
from tests.photos.test_uploads import _create, _patch, jpeg, sha
from tests.sync.conftest import assign, bearer, campaign
from tests.visits.test_push import visit_item


@pytest.fixture(scope="module")
def backup_app(make_committed_app, tmp_path_factory):
    app = make_committed_app("_backup")
    app.config["PHOTO_STORE"] = str(tmp_path_factory.mktemp("store"))
    return app


def _visits_with_photos(app, count: int) -> tuple[list[str], list[str]]:
    client = app.test_client()
    enumerator = make_user("enumerator")
    homes = [make_household() for _ in range(count)]
    assign(campaign(), homes, enumerator)
    db.session.commit()
    visit_ids, hashes = [], []
    for number, home in enumerate(homes):
        data = jpeg(seed=100 + number)
        photo = {"id": str(uuid.uuid4()), "kind": "house_front", "sha256": sha(data)}
        item = visit_item(home, photos=[photo])
        response = client.post("/api/v1/sync/push", json={"items": [item]}, headers=bearer(enumerator))
        assert response.status_code == 200, response.get_json()
        created = _create(client, enumerator, photo, len(data))
        assert created.status_code == 201, created.get_json()
        done = _patch(client, enumerator, created.headers["Location"], 0, data)
        assert done.status_code == 204, done.get_json()
        visit_ids.append(item["id"])
        hashes.append(photo["sha256"])
    return visit_ids, hashes


def test_backup_then_restore_into_a_fresh_database_keeps_every_visit_and_photo(backup_app, create_database, tmp_path):
    runner = backup_app.test_cli_runner()
    with backup_app.app_context():
        visit_ids, hashes = _visits_with_photos(backup_app, 3)
        db.session.remove()
    made = runner.invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert made.exit_code == 0, made.output
    assert "visits" in made.output

    target_url = create_database("_restored")
    backup_app.config["PHOTO_STORE"], original_store = (
        str(tmp_path / "restored-store"),
        backup_app.config["PHOTO_STORE"],
    )
    try:
        restored = runner.invoke(args=["backup", "restore", str(tmp_path / "backup"), "--database-url", target_url])
        assert restored.exit_code == 0, restored.output
        engine = sa.create_engine(target_url, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            stored_visits = set(map(str, connection.execute(sa.text("SELECT id FROM visits")).scalars()))
            photos = connection.execute(sa.text("SELECT sha256, storage_key FROM photos")).all()
        engine.dispose()
        assert set(visit_ids) <= stored_visits
        assert set(hashes) <= {row.sha256 for row in photos}
        store = tmp_path / "restored-store"
        for row in photos:
            if row.sha256 in hashes:
                assert hashlib.sha256((store / row.storage_key).read_bytes()).hexdigest() == row.sha256

        again = runner.invoke(args=["backup", "restore", str(tmp_path / "backup"), "--database-url", target_url])
        assert again.exit_code != 0 and "not empty" in again.output
    finally:
        backup_app.config["PHOTO_STORE"] = original_store


def test_a_damaged_backup_is_refused_before_anything_is_restored(backup_app, create_database, tmp_path):
    runner = backup_app.test_cli_runner()
    with backup_app.app_context():
        _visits_with_photos(backup_app, 1)
        db.session.remove()
    assert runner.invoke(args=["backup", "create", str(tmp_path / "b")]).exit_code == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    original = next(photo for photo in manifest["photos"] if photo["sha256"])
    (tmp_path / "b" / "photos" / original["key"]).write_bytes(b"not the photo")
    checked = runner.invoke(args=["backup", "verify", str(tmp_path / "b")])
    assert checked.exit_code != 0 and "SHA-256" in checked.output
    target_url = create_database("_restored2")
    refused = runner.invoke(args=["backup", "restore", str(tmp_path / "b"), "--database-url", target_url])
    assert refused.exit_code != 0
    engine = sa.create_engine(target_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar() == 0
    engine.dispose()
