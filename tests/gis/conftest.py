"""GIS test city on a committed database of the package's own, served over real HTTP (werkzeug in a thread) so
GDAL's ogrinfo/ogr2ogr and OWSLib read it as QGIS would, with personal access tokens.

The city: 120 households in 64.72.01.1001 (two without a point), 30 in 64.72.01.1002 and 3 in the first
kelurahan of 64.72.02 (too few for a viewer to see their counts), points inside their kelurahan; aid
receipts (PKH for every 4th, BPNT + SMD-SSN overlapping, i.e. stacking, for every 6th, PBI-JK through a
member for every 7th); a visit with a fix ~50 m from the registered point for ten of them.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from server.auth.access import Actor
from server.extensions import db
from server.tokens import service as tokens
from server.types import Role
from tests import factories

K1, K2 = "64.72.01.1001", "64.72.01.1002"
NAME_MARK = "Rahasia"  # every seeded name carries it: no GIS answer may


@dataclass
class City:
    k3: str
    households: dict[str, list[str]] = field(default_factory=dict)  # kelurahan → ids
    located: set[str] = field(default_factory=set)
    approved: set[str] = field(default_factory=set)
    pkh: set[str] = field(default_factory=set)
    stacking: set[str] = field(default_factory=set)
    no_aid: set[str] = field(default_factory=set)
    visits: list[str] = field(default_factory=list)
    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    kk_numbers: list[str] = field(default_factory=list)
    niks: list[str] = field(default_factory=list)

    def ids(self, *kelurahan: str) -> set[str]:
        return {hid for code in kelurahan for hid in self.households[code]}


@pytest.fixture(scope="package")
def gis_app(make_committed_app):
    return make_committed_app("_gis")


def _points(code: str, count: int) -> list[tuple[float, float]]:
    rows = db.session.execute(
        sa.text(
            "SELECT ST_X(d.geom), ST_Y(d.geom) FROM regions r,"
            " ST_Dump(ST_GeneratePoints(ST_Buffer(r.boundary::geography, -60)::geometry, :n, 7)) d"
            " WHERE r.code = :code"
        ),
        {"n": count, "code": code},
    ).all()
    return [(round(x, 6), round(y, 6)) for x, y in rows]


def _receipt(program: str, *, household_id=None, member_id=None, start=date(2026, 1, 1), end=date(2026, 3, 31)):
    db.session.execute(
        sa.text(
            "INSERT INTO aid_receipts (program_id, household_id, member_id, period_start, period_end, source, status)"
            " SELECT id, :h, :m, :s, :e, 'agency_list', 'listed' FROM aid_programs WHERE code = :p"
        ),
        {"h": household_id, "m": member_id, "s": start, "e": end, "p": program},
    )


@pytest.fixture(scope="package")
def city(gis_app) -> City:
    with gis_app.app_context():
        k3 = db.session.execute(
            sa.text("SELECT min(code) FROM regions WHERE level = 'kelurahan' AND code LIKE '64.72.02.%'")
        ).scalar()
        seeded = City(k3=k3)
        number = 0
        for code, count in ((K1, 120), (K2, 30), (k3, 3)):
            points = _points(code, count)
            seeded.households[code] = []
            for index in range(count):
                number += 1
                located = not (code == K1 and index < 2)
                household = factories.make_household(
                    region_code=code,
                    head_name=f"{NAME_MARK} Kepala {number}",
                    decile=number % 10 + 1,
                    verification_status="approved"
                    if number % 3 == 0
                    else "visited"
                    if number % 5 == 0
                    else "unverified",
                    location=f"SRID=4326;POINT({points[index][0]} {points[index][1]})" if located else None,
                )
                member = factories.make_member(household, name=f"{NAME_MARK} Anggota {number}")
                hid = str(household.id)
                seeded.households[code].append(hid)
                seeded.kk_numbers.append(household.kk_number)
                seeded.niks.append(member.nik)
                if located:
                    seeded.located.add(hid)
                if number % 3 == 0:
                    seeded.approved.add(hid)
                aided = False
                if number % 4 == 0:
                    _receipt("PKH", household_id=household.id)
                    seeded.pkh.add(hid)
                    aided = True
                if number % 6 == 0:
                    _receipt("BPNT", household_id=household.id)
                    _receipt("SMD-SSN", household_id=household.id, start=date(2026, 2, 1), end=date(2026, 2, 28))
                    seeded.stacking.add(hid)
                    aided = True
                if number % 7 == 0:
                    _receipt("PBI-JK", member_id=member.id)
                    aided = True
                if not aided:
                    seeded.no_aid.add(hid)
        enumerator = factories.make_user("enumerator", ["64.72.01"])
        for hid in seeded.households[K1][2:12]:
            visit_id = uuid.uuid4()
            db.session.execute(
                sa.text(
                    """
                    INSERT INTO visits (id, household_id, enumerator_id, device_time, outcome, consent, answers,
                                        content_hash, review_status, location, location_accuracy_m)
                    SELECT :id, h.id, :e, :t, 'found', true, '{}'::jsonb, :hash, 'pending',
                           ST_Translate(h.location, 0.00045, 0), 8 FROM households h WHERE h.id = :h
                    """
                ),
                {
                    "id": visit_id,
                    "e": enumerator.id,
                    "t": datetime(2026, 11, 2, 3, 0, tzinfo=UTC),
                    "hash": "0" * 64,
                    "h": hid,
                },
            )
            seeded.visits.append(str(visit_id))
        for role, regions in (
            ("admin", ()),
            ("supervisor", ("64.72.01",)),
            ("reviewer", ("64.72.01",)),
            ("viewer", ("64.72",)),
            ("enumerator", ("64.72.01",)),
        ):
            user = factories.make_user(role, regions)
            seeded.users[role] = user.id
            actor = Actor(user.id, user.username, Role(role), tuple(regions), None)
            if role != "enumerator":
                with gis_app.test_request_context("/"):
                    _token, secret = tokens.create_token(actor, name=f"GIS {role}", expires_in_days=30)
                seeded.tokens[role] = secret
        db.session.commit()
        db.session.remove()
    return seeded


@pytest.fixture(scope="package")
def live_url(gis_app, city):
    """The GIS test city served over HTTP on 127.0.0.1 (threads), for GDAL and OWSLib."""
    server = make_server("127.0.0.1", 0, gis_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def gis_client(gis_app, city):
    return gis_app.test_client()


def bearer(city: City, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {city.tokens[role]}"}
