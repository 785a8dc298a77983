"""The musyawarah pages of the staff workspace: a supervisor opens the kelurahan's round, generates the package,
records decisions on a section's rows and for all, uploads the signed scan and sees the round locked; a
reviewer has no access; only an admin sees the unlock form."""

from __future__ import annotations

import io
import re

from tests.factories import make_user
from tests.musyawarah.test_musyawarah import KELURAHAN, city  # noqa: F401 (fixture)
from tests.staff.conftest import staff_login  # noqa: F401 (fixture)


def _decide(client, csrf: str, round_id, item_id, decision: str, remarks: str):
    """One row of the 'hapus' section decided on the round's page."""
    return client.post(
        f"/staff/musyawarah/{round_id}/keputusan",
        data={"csrf_token": csrf, "bagian": "hapus", f"decision-{item_id}": decision, f"remarks-{item_id}": remarks},
    )


def test_a_supervisor_runs_the_musyawarah_on_its_pages(client, staff_login, city):  # noqa: F811
    csrf = staff_login(client, city["supervisor"])
    index = client.get("/staff/musyawarah/")
    assert index.status_code == 200 and "Buka musyawarah kelurahan" in index.text
    opened = client.post(
        "/staff/musyawarah/buka",
        data={"csrf_token": csrf, "campaign": city["campaign"].id, "region_code": KELURAHAN},
    )
    assert opened.status_code == 303
    detail_url = opened.headers["Location"]
    round_id = int(re.search(r"/staff/musyawarah/(\d+)", detail_url).group(1))
    page = client.get(detail_url).text
    assert "Rawa Makmur" in page and "Daftar dan berita acara belum dibuat." in page
    assert client.post(f"/staff/musyawarah/{round_id}/paket", data={"csrf_token": csrf}).status_code == 303
    page = client.get(f"/staff/musyawarah/{round_id}?bagian=hapus").text
    assert "Daftar musyawarah (XLSX)" in page and "Kepala deceased" in page and "meninggal" in page
    ids = re.findall(r'name="decision-(\d+)"', page)
    assert len(ids) == 2
    decided = client.post(
        f"/staff/musyawarah/{round_id}/keputusan",
        data={"csrf_token": csrf, "bagian": "hapus", f"decision-{ids[0]}": "setuju", f"decision-{ids[1]}": ""},
    )
    assert decided.status_code == 303
    page = client.get(f"/staff/musyawarah/{round_id}?bagian=hapus").text
    assert page.count('value="setuju" selected') == 1 and "Setuju" in page
    # a decided row is decided differently until the round is locked
    changed = _decide(client, csrf, round_id, ids[0], "tidak_setuju", "Masih tinggal di sini")
    assert changed.status_code == 303
    page = client.get(f"/staff/musyawarah/{round_id}?bagian=hapus").text
    assert page.count('value="tidak_setuju" selected') == 1 and 'value="Masih tinggal di sini"' in page
    assert client.get(f"/staff/musyawarah/{round_id}/daftar").status_code == 200
    assert client.get(f"/staff/musyawarah/{round_id}/berita-acara").data.startswith(b"%PDF-")
    everything = client.post(f"/staff/musyawarah/{round_id}/keputusan-semua", data={"csrf_token": csrf})
    assert everything.status_code == 303
    page = client.get(f"/staff/musyawarah/{round_id}").text
    assert "Kunci dengan berita acara bertanda tangan" in page
    locked = client.post(
        f"/staff/musyawarah/{round_id}/kunci",
        data={"csrf_token": csrf, "file": (io.BytesIO(b"\x89PNG\r\n\x1a\nscan"), "ba.png", "image/png")},
    )
    assert locked.status_code == 303
    page = client.get(f"/staff/musyawarah/{round_id}").text
    assert "Berita acara yang ditandatangani sudah diunggah" in page and "Buka kunci (admin)" not in page
    assert "Versi berita acara bertanda tangan" in page and 'name="decision-' not in page  # locked: no changes


def test_reviewers_have_no_musyawarah_pages(client, staff_login, db_session):  # noqa: F811
    staff_login(client, make_user("reviewer"))
    assert client.get("/staff/musyawarah/").status_code == 403


def test_after_an_admin_unlock_a_decision_changes_and_the_round_locks_again(client, staff_login, city):  # noqa: F811
    from server.extensions import db

    admin = make_user("admin")
    csrf = staff_login(client, admin)
    opened = client.post(
        "/staff/musyawarah/buka",
        data={"csrf_token": csrf, "campaign": city["campaign"].id, "region_code": KELURAHAN},
    )
    round_id = int(re.search(r"/staff/musyawarah/(\d+)", opened.headers["Location"]).group(1))
    client.post(f"/staff/musyawarah/{round_id}/paket", data={"csrf_token": csrf})
    client.post(f"/staff/musyawarah/{round_id}/keputusan-semua", data={"csrf_token": csrf})
    scan = {"file": (io.BytesIO(b"%PDF-1.4 v1"), "ba.pdf", "application/pdf")}
    assert client.post(f"/staff/musyawarah/{round_id}/kunci", data={"csrf_token": csrf, **scan}).status_code == 303
    page = client.get(f"/staff/musyawarah/{round_id}").text
    assert "Buka kunci (admin)" in page
    reopened = client.post(f"/staff/musyawarah/{round_id}/buka-kunci", data={"csrf_token": csrf, "reason": "Keberatan"})
    assert reopened.status_code == 303
    page = client.get(f"/staff/musyawarah/{round_id}?bagian=hapus").text
    assert "Mengunci lagi mencatat berita acara versi 2" in page and "Keberatan" in page
    item_id = re.findall(r'name="decision-(\d+)"', page)[0]
    changed = _decide(client, csrf, round_id, item_id, "tidak_setuju", "Ada")
    assert changed.status_code == 303
    db.session.expire_all()
    scan = {"file": (io.BytesIO(b"%PDF-1.4 v2"), "ba.pdf", "application/pdf")}
    stale = client.post(f"/staff/musyawarah/{round_id}/kunci", data={"csrf_token": csrf, **scan})
    assert stale.status_code == 409 and "buat daftar dan berita acara lagi sebelum mengunci" in stale.text
    client.post(f"/staff/musyawarah/{round_id}/paket", data={"csrf_token": csrf})
    # the household kept in the registry is now a finding of its own (eligible, without aid): decided too
    client.post(f"/staff/musyawarah/{round_id}/keputusan-semua", data={"csrf_token": csrf})
    scan = {"file": (io.BytesIO(b"%PDF-1.4 v2"), "ba.pdf", "application/pdf")}
    assert client.post(f"/staff/musyawarah/{round_id}/kunci", data={"csrf_token": csrf, **scan}).status_code == 303
    page = client.get(f"/staff/musyawarah/{round_id}").text
    assert "Dikunci" in page and page.count('<th scope="row">2</th>') == 1  # the second signed version
