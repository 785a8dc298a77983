"""An aid recipient list uploaded on the staff imports page (Debian's Chromium, desktop): programme, period
and file; the dry run's counts; confirmed as a job; the row that matched nobody exactly waits on the proposals
page, where the supervisor confirms its candidate."""

from __future__ import annotations

import sqlalchemy as sa

from tests.e2e.staff_pages import check_page, desktop, log_in, make_staff_user, shoot

USER = "bantuan-supervisor"


def _plant(database_url: str) -> tuple[str, str]:
    """A household in kecamatan 64.72.05 whose No. KK the list gets wrong; (its No. KK, a programme code)."""
    from server import create_app
    from server.extensions import db
    from tests import factories

    make_staff_user(database_url, "supervisor", USER, regions=("64.72.05",))
    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        sql = lambda text: db.session.execute(sa.text(text))  # noqa: E731
        if sql("SELECT 1 FROM households WHERE registry_id = 'HP-0002'").first() is None:
            kelurahan = sql("SELECT max(code) FROM regions WHERE level = 'kelurahan' AND code LIKE '64.72.05.%'")
            household = factories.make_household(
                registry_id="HP-0002", kk_number=factories.make_kk(9802), head_name="Joko Santoso Bantuan",
                region_code=kelurahan.scalar_one(),
            )  # fmt: skip
            factories.make_member(household, name="Joko Santoso Bantuan", relationship_code=1)
            db.session.commit()
        found = sql("SELECT region_code FROM households WHERE registry_id = 'HP-0002'").scalar_one()
        program = sql("SELECT code FROM aid_programs WHERE unit = 'family' ORDER BY code LIMIT 1").scalar_one()
        db.session.remove()
        db.engine.dispose()
    return found, program


def test_a_supervisor_uploads_an_aid_list_and_decides_its_proposal(browser, live_server, e2e_database, tmp_path):
    kelurahan, program = _plant(e2e_database[0])
    path = tmp_path / "bpnt-januari.csv"
    path.write_text(f"no_kk,nama,kode_kelurahan\n6472052001209997,Joko Santosa Bantuan,{kelurahan}\n")
    context = desktop(browser, live_server)
    page = context.new_page()
    log_in(page, USER)
    page.wait_for_url("**/staff/beranda")
    page.goto("/staff/impor")
    page.get_by_label("Program").select_option(program)
    page.get_by_label("Awal periode").fill("2026-01-01")
    page.get_by_label("Akhir periode").fill("2026-01-31")
    page.get_by_label("Berkas daftar bantuan").set_input_files(str(path))
    page.get_by_role("button", name="Periksa daftar bantuan").click()
    page.get_by_text("Belum ada yang diubah").wait_for()
    assert "tidak cocok persis" in page.locator("main").inner_text()
    check_page(page, "aid list check")
    page.get_by_role("button", name="Konfirmasi impor").click()
    page.get_by_text("Selesai.").wait_for()
    page.get_by_role("link", name="Lihat hasil impor").click()
    page.get_by_role("link", name="Usulan pencocokan dari impor ini").click()
    proposal = page.locator("li.panel", has_text="Joko Santosa Bantuan")
    assert proposal.get_by_role("radio", name="Joko Santoso Bantuan").is_checked()  # the best candidate first
    check_page(page, "aid match proposals")
    shoot(page, "11-aid-proposals")
    proposal.get_by_role("button", name="Konfirmasi kandidat terpilih").click()
    page.wait_for_url("**selesai=confirmed**")
    assert page.locator("li.panel", has_text="Joko Santosa Bantuan").count() == 0
    context.close()
