"""The optional client report of the sync protocol: a phone's app version and unsent visits and photos are
kept on its device at each pull and push; a phone that sends none is served as before."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from server.auth.models import Device
from server.extensions import db
from tests.factories import make_user


def _device(user) -> Device:
    device = Device(id=uuid.uuid4(), user_id=user.id, name="HP Uji")
    db.session.add(device)
    db.session.flush()
    return device


def _fresh(device_id):
    query = sa.select(Device).where(Device.id == device_id).execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one()


def test_the_pull_keeps_the_apps_report_on_the_device(client, auth_headers, db_session):
    user = make_user("enumerator")
    device = _device(user)
    url = "/api/v1/sync/pull?limit=10&app_version=0.1.0%2Babc&unsent_visits=3&unsent_photos=7"
    assert client.get(url, headers=auth_headers(user, device.id)).status_code == 200
    stored = _fresh(device.id)
    assert (stored.app_version, stored.unsent_visits, stored.unsent_photos) == ("0.1.0+abc", 3, 7)
    assert stored.reported_at is not None and stored.last_seen_at == stored.reported_at


def test_the_push_keeps_it_too_and_old_clients_are_served_as_before(client, auth_headers, db_session):
    user = make_user("enumerator")
    device = _device(user)
    headers = auth_headers(user, device.id)
    body = {"items": [{"id": str(uuid.uuid4())}], "client": {"app_version": "0.2.0", "unsent_visits": 0}}
    assert client.post("/api/v1/sync/push", json=body, headers=headers).status_code == 200
    assert (_fresh(device.id).app_version, _fresh(device.id).unsent_visits) == ("0.2.0", 0)
    old = client.post("/api/v1/sync/push", json={"items": [{"id": str(uuid.uuid4())}]}, headers=headers)
    assert old.status_code == 200 and _fresh(device.id).app_version == "0.2.0"
    assert client.get("/api/v1/sync/pull?limit=5", headers=headers).status_code == 200


def test_a_malformed_report_is_refused_naming_the_field(client, auth_headers, db_session):
    user = make_user("enumerator")
    headers = auth_headers(user, _device(user).id)
    answer = client.get("/api/v1/sync/pull?app_version=%3Cscript%3E", headers=headers)
    assert answer.status_code == 422 and "app_version" in answer.get_json()["error"]["details"]["fields"]
