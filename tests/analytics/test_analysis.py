"""The analysis against a hand-built city (tests/analytics/dataset.py) where every figure was worked out by
hand: stacking per rule, gaps, each inclusion-error kind, unknown desil, Rupiah with and without agency
amounts; the API, the drill-down and the XLSX exports agree with it; viewers get small cells suppressed."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl

from server.aid.models import AidReceipt
from tests.analytics.dataset import EXPECTED_CITY, K1, K2, REACHABLE, build
from tests.factories import make_user

YEAR = "period_start=2019-01-01&period_end=2019-12-31"


def _figures(figures, rules):
    key_of = {rule.id: name for name, rule in rules.items()}
    return {
        (f["kind"], f["side"], key_of.get(f["rule_id"]), f["program"]): (
            f["households"],
            f["receipts"],
            f["rupiah_period"],
            None if f["rupiah_estimated_month"] is None else f["rupiah_estimated_month"] * 12,
        )
        for f in figures
    }


def test_city_figures_match_the_hand_worked_ones(client, auth_headers, db_session):
    city = build()
    headers = auth_headers(make_user("admin"))
    response = client.get(f"/api/v1/analytics/summary?{YEAR}&by=kelurahan", headers=headers)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["period"] == {"start": "2019-01-01", "end": "2019-12-31", "months": 12}
    assert data["stale"] is False and data["rule_set_version"] >= 2
    figures = _figures(data["figures"], city.rules)
    totals = {key: value for key, value in figures.items() if key[3] is None}
    assert totals == {key: value for key, value in EXPECTED_CITY.items() if key[3] is None}
    for key, value in EXPECTED_CITY.items():
        assert figures[key] == value, key
    # Per month and per year: the year's Rupiah / 12 and x 12.
    excl = next(f for f in data["figures"] if f["rule_id"] == city.rules["excl"].id)
    assert (excl["rupiah_month"], excl["rupiah_year"], excl["estimate"]) == (600_000, 7_200_000, True)
    food = next(f for f in data["figures"] if f["rule_id"] == city.rules["food"].id)
    assert (food["rupiah_month"], food["estimate"], food["programs"]) == (100_000, False, ["T-SEM", "T-SSN"])
    key_of = {rule.id: name for name, rule in city.rules.items()}
    reach = {
        (f["kind"], key_of.get(f["rule_id"])): f["families_reachable"]
        for f in data["figures"]
        if f["program"] is None and (f["kind"], key_of.get(f["rule_id"])) in REACHABLE
    }
    assert reach == REACHABLE  # deactivated: 250,000 / 164,650 = 1.5
    # Every rule behind a figure is named with its legal basis.
    assert {rule["id"] for rule in data["rules"]} >= {city.rules["excl"].id, city.rules["food"].id}

    areas = {area["code"]: _figures(area["figures"], city.rules) for area in data["areas"]}
    assert set(areas) == {K1, K2}
    assert areas[K1][("deactivated", "records", None, None)] == (2, 2, 3_000_000, 0)
    assert areas[K1][("not_in_registry", "lists", None, None)] == (0, 1, 504_000, 504_000)
    assert areas[K2][("invalid_nik", "lists", None, None)] == (0, 1, 600_000, 0)
    assert areas[K2][("gap", "verified", None, None)] == (1, 0, 0, 0)
    assert ("gap", "verified", None, None) not in areas[K1]
    assert areas[K1][("stacking", "records", "excl", None)] == (1, 1, 7_200_000, 7_200_000)
    # Verified and settled are two numbers, never one.
    assert areas[K1][("dead", "verified", None, None)] == (1, 1, 1_200_000, 0)
    assert areas[K1][("dead", "settled", None, None)] == (1, 1, 600_000, 0)

    # The programme filter keeps the findings involving it.
    only = client.get(f"/api/v1/analytics/summary?{YEAR}&program=T-PBI", headers=headers).get_json()["data"]
    kinds = {(f["kind"], f["side"]) for f in only["figures"]}
    assert kinds == {
        ("moved", "verified"),
        ("not_in_registry", "lists"),
        ("gap_program", "verified"),
        ("gap", "verified"),
        ("unknown_desil", "records"),
        ("receiving", "records"),  # H7's two members: 1 family, 2 receipts
    }
    pbi = next(f for f in only["figures"] if f["kind"] == "receiving" and f["program"] is None)
    assert (pbi["households"], pbi["receipts"], pbi["rupiah_period"]) == (1, 2, 1_008_000)


def test_drilldown_lists_and_xlsx_agree_with_the_figures(client, auth_headers, db_session):
    city = build()
    headers = auth_headers(make_user("supervisor", ["64.72"]))
    h = city.households

    def listed(query):
        response = client.get(f"/api/v1/analytics/households?{YEAR}&{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    body = listed(f"kind=stacking&rule_id={city.rules['excl'].id}")
    assert [row["household_id"] for row in body["data"]] == [str(h["H1"].id)]
    assert body["data"][0]["programs"] == ["T-BST", "T-PKH"] and body["data"][0]["rupiah_period"] == 7_200_000
    assert body["meta"]["total"] == 1
    assert [row["household_id"] for row in listed("kind=gap")["data"]] == [str(h["H5"].id)]
    assert [row["household_id"] for row in listed("kind=dead&side=settled")["data"]] == [str(h["H12"].id)]
    gaps = listed("kind=gap_program&program=T-PKH")["data"]
    assert {row["household_id"] for row in gaps} == {str(h["H5"].id), str(h["H7"].id)}
    assert listed(f"kind=deactivated&region={K2}")["data"] == []

    export = client.get(f"/api/v1/analytics/households/export?{YEAR}&kind=deactivated&format=xlsx", headers=headers)
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header, lines = rows[0], rows[1:]
    by_kk = {line[header.index("kk_number")]: line for line in lines}
    assert set(by_kk) == {h["H11"].kk_number, h["H12"].kk_number}  # 16 digits kept: written as text
    assert all(isinstance(kk, str) and len(kk) == 16 for kk in by_kk)
    assert sum(line[header.index("rupiah_period")] for line in lines) == 3_000_000

    summary = client.get(f"/api/v1/analytics/summary/export?{YEAR}&format=xlsx&by=kelurahan", headers=headers)
    book = openpyxl.load_workbook(io.BytesIO(summary.data), read_only=True)
    rows = list(book["ringkasan"].iter_rows(values_only=True))
    header = rows[0]
    city_rows = {
        (r[header.index("kind")], r[header.index("side")], r[header.index("rule_id")], r[header.index("program")]): r
        for r in rows[1:]
        if not r[header.index("area")]
    }
    excl = city_rows[("stacking", "records", city.rules["excl"].id, None)]
    assert excl[header.index("rupiah_period")] == 7_200_000 and excl[header.index("households")] == 1
    csv = client.get(f"/api/v1/analytics/summary/export?{YEAR}", headers=headers)
    assert csv.status_code == 200 and csv.mimetype == "text/csv" and "not_in_registry" in csv.get_data(as_text=True)


def test_viewer_cells_below_five_households_are_suppressed_and_no_lists(client, auth_headers, db_session):
    build()
    viewer = auth_headers(make_user("viewer", ["64.72"]))
    data = client.get(f"/api/v1/analytics/summary?{YEAR}", headers=viewer).get_json()["data"]
    small = [f for f in data["figures"] if f["kind"] != "receiving"]
    assert small and all(f["suppressed"] and f["households"] is None for f in small)
    receiving = next(f for f in data["figures"] if f["kind"] == "receiving" and f["program"] is None)
    assert (receiving["suppressed"], receiving["households"]) == (False, 10)
    assert client.get(f"/api/v1/analytics/households?{YEAR}&kind=gap", headers=viewer).status_code == 403
    assert client.get(f"/api/v1/analytics/summary?{YEAR}&refresh=true", headers=viewer).status_code == 403
    enumerator = auth_headers(make_user("enumerator"))
    assert client.get(f"/api/v1/analytics/summary?{YEAR}", headers=enumerator).status_code == 403


def test_area_scope_and_a_change_refreshes_the_figures(client, auth_headers, db_session):
    city = build()
    scoped = auth_headers(make_user("supervisor", ["64.72.02"]))
    data = client.get(f"/api/v1/analytics/summary?{YEAR}", headers=scoped).get_json()["data"]
    kinds = {f["kind"] for f in data["figures"] if f["program"] is None}
    # Only Sungai Kunjang's households and its agency rows: none of K1's findings.
    assert "stacking" not in kinds and "deactivated" not in kinds and "not_in_registry" not in kinds
    assert "invalid_nik" in kinds and "gap" in kinds
    assert client.get(f"/api/v1/analytics/summary?{YEAR}&region={K1}", headers=scoped).status_code == 404

    # A new receipt (T-SSN for H4's neighbour H5) changes the data: the next read is computed again.
    admin = auth_headers(make_user("admin"))
    before = client.get(f"/api/v1/analytics/summary?{YEAR}", headers=admin).get_json()["data"]
    assert any(f["kind"] == "gap" for f in before["figures"])
    db_session.add(
        AidReceipt(
            program_id=city.programs["SSN"].id,
            household_id=city.households["H5"].id,
            period_start=date(2019, 1, 1),
            period_end=date(2019, 1, 31),
            amount=Decimal("100000"),
            source="agency_list",
            status="disbursed",
        )
    )
    db_session.flush()
    after = client.get(f"/api/v1/analytics/summary?{YEAR}", headers=admin).get_json()["data"]
    assert after["stale"] is False
    assert not any(f["kind"] == "gap" for f in after["figures"])  # H5 now receives something


def test_an_aid_import_queues_the_refresh_of_analysed_periods(client, auth_headers, db_session):
    import io

    import sqlalchemy as sa

    from server.jobs.models import Job

    city = build()
    headers = auth_headers(make_user("admin"))
    assert client.get(f"/api/v1/analytics/summary?{YEAR}", headers=headers).status_code == 200

    def refreshes():
        return db_session.execute(
            sa.select(sa.func.count()).select_from(Job).where(Job.kind == "analytics.refresh")
        ).scalar_one()

    before = refreshes()
    text = f"no_kk,nama\n{city.households['H5'].kk_number},Kepala H5\n"
    answer = client.post(
        "/api/v1/imports/aid",
        data={
            "file": (io.BytesIO(text.encode()), "sem.csv"),
            "program": "T-SEM",
            "period_start": "2019-01-01",
            "period_end": "2019-01-31",
        },
        headers=headers,
        content_type="multipart/form-data",
    )
    assert answer.status_code in (201, 202), answer.get_json()
    assert refreshes() == before + 1
