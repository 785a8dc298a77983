"""The import list: a supervisor sees their own imports however many newer ones the city has (on 939c0e2 the
area filter ran after `limit=200`, so older own imports vanished)."""

from __future__ import annotations

from server.extensions import db
from server.imports.models import DataImport
from tests.factories import make_user


def test_a_supervisor_sees_their_own_imports_behind_200_newer_ones(client, auth_headers):
    supervisor, other = make_user("supervisor"), make_user("supervisor")
    mine = DataImport(kind="registry", filename="lama.csv", sha256="a" * 64, actor_id=supervisor.id, counts={})
    db.session.add(mine)
    db.session.flush()
    db.session.add_all(
        DataImport(kind="registry", filename=f"baru-{n}.csv", sha256="b" * 64, actor_id=other.id, counts={})
        for n in range(210)
    )
    db.session.flush()
    listed = client.get("/api/v1/imports", headers=auth_headers(supervisor)).get_json()["data"]
    assert [item["id"] for item in listed] == [mine.id]
    admin = client.get("/api/v1/imports", headers=auth_headers(make_user("admin", regions=()))).get_json()["data"]
    assert len(admin) == 200 and mine.id not in {item["id"] for item in admin}
