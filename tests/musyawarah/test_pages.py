"""The musyawarah pages of the staff workspace: a supervisor opens the kelurahan's round, generates the package,
records decisions on a section's rows and for all, uploads the signed scan and sees the round locked; a
reviewer has no access; only an admin sees the unlock form."""

from __future__ import annotations

import io
import re

from tests.factories import make_user
from tests.musyawarah.test_musyawarah import KELURAHAN, city  # noqa: F401 (fixture)
from tests.staff.conftest import staff_login  # noqa: F401 (fixture)


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
    changed = client.post(  # a decided row is decided differently until the round is locked
        f"/staff/musyawarah/{round_id}/keputusan",
        data={
            "csrf_token": csrf,
            "bagian": "hapus",
            f"decision-{ids[0]}": "tidak_setuju",
            f"remarks-{ids[0]}": "Masih tinggal di sini",
        },
    )
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
