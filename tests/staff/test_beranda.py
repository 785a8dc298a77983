"""Beranda: progress of the user's own area per kecamatan, kelurahan and enumerator, the phones as last seen
(app version and unsent counts from the sync's client report), what the field found, visits per day and
enumerator quality; numbers link to the lists behind them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

from server.auth.models import Device
from server.campaigns.models import Assignment, Campaign
from server.extensions import db
from tests.factories import make_household, make_user
from tests.review.conftest import make_visit

LIST_LINK = re.compile(r'<td class="num"><a href="(/staff/rumah-tangga\?[^"]+)">(\d+)</a>')


def _city():
    """Two households in 64.72.01 (one visited, far from its point, no photo) and one in 64.72.02."""
    enumerator = make_user("enumerator", ["64.72.01"], full_name="Siti Petugas")
    campaign = Campaign(name="Verval Uji", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    db.session.add(campaign)
    db.session.flush()
    here = [make_household(region_code="64.72.01.1001", location="SRID=4326;POINT(117.15 -0.5)") for _ in range(2)]
    there = make_household(region_code="64.72.02.1001")
    for household in [*here, there]:
        db.session.add(Assignment(campaign_id=campaign.id, household_id=household.id, enumerator_id=enumerator.id))
    here[0].verification_status = "visited"
    make_visit(
        here[0],
        enumerator,
        location="SRID=4326;POINT(117.16 -0.5)",
        location_accuracy_m=12.0,
        flags=["far_from_registered"],  # as the push flags a fix 1.1 km from the registered point
    )
    db.session.add(
        Device(
            id=uuid.uuid4(),
            user_id=enumerator.id,
            name="HP Siti",
            app_version="0.1.0",
            unsent_visits=4,
            unsent_photos=9,
            last_seen_at=datetime.now(UTC) - timedelta(hours=1),
            reported_at=datetime(2026, 11, 30, 1, 30, tzinfo=UTC),
        )
    )
    db.session.flush()
    return enumerator


def test_a_supervisor_sees_the_progress_of_their_area(client, staff_login, db_session):
    _city()
    make_household(region_code="64.72.01.1001")  # in the area, on nobody's phone: not in the progress counts
    staff_login(client, make_user("supervisor", ["64.72.01"]))
    page = client.get("/staff/beranda").text
    assert "Temuan lapangan" in page and "1</a> dari" in page
    # Only kecamatan 64.72.01 (two households), not 64.72.02.
    assert 'href="/staff/beranda?kecamatan=64.72.01"' in page and "kecamatan=64.72.02" not in page
    # The phone as it reported itself at its last sync.
    assert "HP Siti" in page and "0.1.0" in page and ">4<" in page and ">9<" in page
    assert "<td>30 Nov 2026 09:30 WITA</td>" in page  # its last sync (the report), in WITA
    # Quality: the one visit is flagged far from the registered point (> 150 m), has no photo; GPS median 12 m.
    assert "12 m" in page and "(100%)" in page and "(> 150 m)" in page
    drill = client.get("/staff/beranda?kecamatan=64.72.01").text
    assert "Kemajuan per kelurahan" in drill
    # Every count of the progress tables (areas, totals, enumerators) links to exactly its list: following the
    # link lists that many households (assigned ones only, as the counts are; visited = no longer unverified).
    links = [link for html in (page, drill) for link in re.findall(LIST_LINK, html)]
    assert len(links) >= 8 and any("enumerator_id=" in href for href, _count in links)
    for href, count in links:
        listed = client.get(href.replace("&amp;", "&")).text
        assert f"{count} rumah tangga di halaman ini" in listed, href
    assert '<a href="/staff/rumah-tangga">3</a> rumah tangga' in page  # "1 dari 3 rumah tangga": both linked
    mine = next(href for href, _count in links if "enumerator_id=" in href)
    assert "Hanya rumah tangga yang ditugaskan kepada Siti Petugas." in client.get(mine.replace("&amp;", "&")).text


def test_the_viewer_sees_the_dashboard_and_an_empty_area_is_explained(client, staff_login, db_session):
    staff_login(client, make_user("viewer", ["64.72.05"]))
    page = client.get("/staff/beranda").text
    assert "Belum ada rumah tangga yang ditugaskan di wilayah Anda" in page
    assert "Belum ada petugas lapangan di wilayah Anda" in page
    assert "Belum ada kunjungan dalam 30 hari terakhir." in page and 'class="chart"' not in page
    # What the field found: the five kinds, each shown at 0 too (moved as within / outside the city).
    shown = ("Ditemukan", "Tidak ditemukan", "Pindah (dalam kota)", "Pindah (luar kota)", "Semua anggota meninggal")
    for label in (*shown, "Data ganda"):
        assert f'<span class="label">{label}</span>' in page, label
    assert "Menolak" not in page  # the other outcomes only once they occur


def test_a_viewer_is_not_sent_to_pages_closed_to_viewers(client, staff_login, db_session):
    """The findings and the enumerators' queue counts link to the review queue, which a viewer may not open:
    for a viewer those numbers show without a link (the household lists stay linked)."""
    _city()
    staff_login(client, make_user("viewer", ["64.72.01"]))
    page = client.get("/staff/beranda").text
    main = page[page.index("<main") :]
    assert "/staff/tinjauan" not in main and re.search(LIST_LINK, main)
