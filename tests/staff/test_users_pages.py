"""Admin pages: create a user with a role and an area, revoke a phone, reset a password (ending the user's
staff sessions), the audit trail filtered; other roles are refused."""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa

from server.auth.models import Device, User
from server.extensions import db
from tests.factories import make_user


def test_admin_creates_a_user_and_revokes_a_device(client, staff_login, db_session):
    token = staff_login(client, make_user("admin"))
    page = client.get("/staff/pengguna")
    assert page.status_code == 200 and "Buat pengguna" in page.text
    created = client.post(
        "/staff/pengguna",
        data={"csrf_token": token, "username": "petugas-baru", "full_name": "Petugas Baru", "role": "enumerator",
              "region_codes": ["64.72.01.1001"], "password": "kata-sandi-baru-7"},
    )  # fmt: skip
    assert created.status_code == 200 and "Pengguna petugas-baru dibuat." in created.text
    row = re.search(r"<tr><th scope=\"row\"><a [^>]*>petugas-baru</a>.*?</tr>", created.text, re.S).group(0)
    assert "<td>Rawa Makmur</td>" in row  # the user's area by its name, not its code
    user = db_session.execute(sa.select(User).where(User.username == "petugas-baru")).scalar_one()
    assert user.region_codes == ["64.72.01.1001"]
    refused = client.post(
        "/staff/pengguna",
        data={"csrf_token": token, "username": "petugas-baru", "full_name": "X", "role": "enumerator",
              "region_codes": ["64.72.01.1001"], "password": "kata-sandi-baru-7"},
    )  # fmt: skip
    assert refused.status_code == 422 and "Nama pengguna sudah dipakai" in refused.text

    device = Device(id=uuid.uuid4(), user_id=user.id, name="HP Petugas Baru")
    db.session.add(device)
    db.session.flush()
    detail = client.get(f"/staff/pengguna/{user.id}").text
    assert "HP Petugas Baru" in detail and "Cabut" in detail
    revoked = client.post(
        f"/staff/pengguna/{user.id}", data={"csrf_token": token, "action": "revoke", "device_id": str(device.id)}
    )
    assert revoked.status_code == 302
    stored = db_session.execute(
        sa.select(Device).where(Device.id == device.id).execution_options(populate_existing=True)
    ).scalar_one()
    assert stored.revoked_at is not None
    audit = client.get("/staff/audit?action=device.").text
    assert "device.revoke" in audit


def test_others_are_refused(client, staff_login, db_session):
    staff_login(client, make_user("supervisor", ["64.72.01"]))
    assert client.get("/staff/pengguna").status_code == 403
    assert client.get("/staff/audit").status_code == 403
