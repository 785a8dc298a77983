"""Household pages: search by name and number with the API's filters, detail with members and history,
edit under the version the clerk saw with a clear message when someone saved first; a viewer sees masked
numbers and cannot search by them."""

from __future__ import annotations

from tests.factories import make_household, make_member, make_user
from tests.staff.conftest import csrf_of


def test_search_by_name_and_number_and_filter(client, staff_login, db_session):
    wanted = make_household(head_name="Agustina Rahmawati", region_code="64.72.01.1001", decile=1)
    make_member(wanted, name="Agustina Rahmawati", nik="6472015705800001")
    make_household(head_name="Bambang Sutrisno", region_code="64.72.01.1001", decile=4)
    make_household(head_name="Agustina Lain", region_code="64.72.02.1001")  # outside the area
    staff_login(client, make_user("supervisor", ["64.72.01"]))
    page = client.get("/staff/rumah-tangga?q=Agustina").text
    assert "Agustina Rahmawati" in page and "Bambang" not in page and "Agustina Lain" not in page
    by_nik = client.get("/staff/rumah-tangga?q=6472015705800001").text
    assert "Agustina Rahmawati" in by_nik
    filtered = client.get("/staff/rumah-tangga?decile=4").text
    assert "Bambang Sutrisno" in filtered and "Agustina Rahmawati" not in filtered
    # htmx asks for the results alone.
    partial = client.get("/staff/rumah-tangga?q=Bambang", headers={"HX-Request": "true", "HX-Target": "hasil"})
    assert "Bambang Sutrisno" in partial.text and "<header" not in partial.text
    nothing = client.get("/staff/rumah-tangga?q=Zzzyx").text
    assert "Tidak ada rumah tangga yang cocok" in nothing
    by_registry_id = client.get(f"/staff/rumah-tangga?q={wanted.registry_id}").text
    assert "Agustina Rahmawati" in by_registry_id and "Bambang" not in by_registry_id
    assert "Nama, NIK, No. KK atau ID registri" in page  # the search field says what it takes


def test_a_viewer_sees_masked_numbers_and_cannot_search_by_them(client, staff_login, db_session):
    household = make_household(head_name="Siti Masking", kk_number="6472012001200999")
    make_member(household, name="Siti Masking", nik="6472015705800077")
    staff_login(client, make_user("viewer", ["64.72.01"]))
    detail = client.get(f"/staff/rumah-tangga/{household.id}").text
    assert "6472012001200999" not in detail and "6472015705800077" not in detail and "Siti Masking" in detail
    assert "Simpan" not in detail  # no edit form
    refused = client.get("/staff/rumah-tangga?q=6472015705800077").text
    assert "Siti Masking" not in refused and "Tidak diizinkan" in refused


def test_edit_and_the_conflict_message(client, staff_login, app, db_session):
    household = make_household(head_name="Kepala Lama", address="Jl. Lama 1")
    token = staff_login(client, make_user("supervisor", ["64.72.01"]))
    page = client.get(f"/staff/rumah-tangga/{household.id}").text
    assert 'name="version" value="1"' in page
    saved = client.post(
        f"/staff/rumah-tangga/{household.id}",
        data={"csrf_token": token, "version": "1", "head_name": "Kepala Baru", "address": "Jl. Lama 1",
              "registry_status": "active", "decile": "2"},
    )  # fmt: skip
    assert saved.status_code == 200 and "Tersimpan." in saved.text and "Kepala Baru" in saved.text
    # The change is in the registry's history.
    assert "diubah staf" in saved.text and "Kepala Lama" in saved.text
    # A second clerk still on version 1 saves: told in words, nothing overwritten.
    stale = client.post(
        f"/staff/rumah-tangga/{household.id}",
        data={"csrf_token": token, "version": "1", "head_name": "Kepala Ketiga", "address": "Jl. Lama 1",
              "registry_status": "active", "decile": "2"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert "Orang lain sudah mengubah rumah tangga ini sejak Anda membukanya" in stale.text
    assert "Kepala Baru" in stale.text and 'value="Kepala Ketiga"' in stale.text
    invalid = client.post(
        f"/staff/rumah-tangga/{household.id}",
        data={"csrf_token": csrf_of(stale.text), "version": "2", "head_name": "Kepala Baru", "rt": "12345",
              "registry_status": "active"},
    )  # fmt: skip
    assert invalid.status_code == 422 and "rt" not in invalid.text.split('class="warning"')[0][-5:]
