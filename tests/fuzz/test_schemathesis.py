"""schemathesis against /api/openapi.json as admin, supervisor, enumerator and viewer (issue 12).

Runs in process (schemathesis's pytest integration, requests sent to the WSGI app) on a database of its own:
a small demo city made for it, with a visit, a registry dry run, an export job, a target user, a programme
rule, a snapshot, aid match proposals, a musyawarah round with its package and a rekap planted so that
operations on a record have one to find. Fixed seed. Fails on any 5xx, any failure outside the error
envelope, any undocumented status, any answer not matching its schema (schemathesis's checks, and the app's
own response check of the test profile), and on an operation that never once answered 2xx in the whole run.
Operations that may end the caller's session (logout, password change and reset, device revoke, user
changes) are followed by a fresh login. `FUZZ_EXAMPLES` sets the examples per operation (`make fuzz`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import math
import os
import uuid
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from apispec_webframeworks.flask import FlaskPlugin
from PIL import Image
from schemathesis.config import SchemathesisConfig
from urllib3.filepost import encode_multipart_formdata

from server import create_app
from server.aid.models import AidProgram
from server.auth.models import User
from server.auth.passwords import hash_password
from server.campaigns.models import Assignment
from server.config import DEMO_PASSWORD
from server.demo.service import load_demo_city
from server.extensions import db, limiter
from server.households.models import Household, Member
from server.jobs.models import Job
from server.openapi.spec import documented_rules
from server.unit_of_work import unit_of_work
from server.visits.models import Visit

ROLES = {"admin": "admin", "supervisor": "supervisor", "enumerator": "enumerator1", "viewer": "viewer"}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
SEED = int(os.environ.get("FUZZ_SEED", "1"))
HOUSEHOLDS = 40
NEW_PASSWORD = "fuzz-Sandi-Baru-2026"
SNAPSHOT = {"title": "Uji fuzz", "period_start": "2026-01-01", "period_end": "2026-12-31", "region": "64.72"}
# Operations after which the caller's own session may be gone (or its tokens replaced): a fresh login follows.
SESSION_ENDING = {
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/password",
    "POST /api/v1/devices/{device_id}/revoke",
    "PATCH /api/v1/users/{user_id}",
    "POST /api/v1/users/{user_id}/password",
}
# Schema-valid requests the server may still refuse with 422 naming the field, because the rule needs the
# data (a region or password that must exist or match) or a file's contents, which no schema can say.
# Everywhere else a schema-valid request must not get 422.
NEEDS_THE_DATA = {
    ("POST", "/api/v1/auth/password"): "the current password must be the caller's",
    ("POST", "/api/v1/users"): "region codes must exist; the password must not be a common one",
    ("PATCH", "/api/v1/users/{user_id}"): "region codes must exist; an admin cannot demote itself",
    ("POST", "/api/v1/users/{user_id}/password"): "the password must not be a common one or the username",
    ("POST", "/api/v1/imports/registry"): "the file's columns and rows",
    ("POST", "/api/v1/imports/aid"): "the file's columns and rows, the programme must exist",
    ("POST", "/api/v1/campaigns"): "the period must end after it starts",
    ("PATCH", "/api/v1/campaigns/{campaign_id}"): "the period must end after it starts",
    ("POST", "/api/v1/campaigns/{campaign_id}/assignments"): "the enumerator and kelurahan must exist",
    ("POST", "/api/v1/campaigns/{campaign_id}/assignments/unassign"): "the kelurahan must exist",
    ("POST", "/api/v1/programs"): "active_until must not be before active_from",
    ("PATCH", "/api/v1/programs/{code}"): "active_until must not be before active_from",
    ("PATCH", "/api/v1/households/{household_id}"): "the region must exist",
    ("POST", "/api/v1/households/{household_id}/members"): "the NIK's date and region, one head",
    ("PATCH", "/api/v1/households/{household_id}/members/{member_id}"): "the NIK's date and region, one head",
    ("POST", "/api/v1/households/{household_id}/merge"): "the duplicate must be another household",
    ("GET", "/api/v1/audit"): "a cursor must be one the server issued",
    ("GET", "/api/v1/jobs"): "a cursor must be one the server issued",
    ("GET", "/api/v1/visits"): "a cursor must be one the server issued",
    ("GET", "/api/v1/sync/pull"): "a cursor must be one the server issued (400 sync.cursor_invalid)",
    ("GET", "/api/v1/analytics/summary"): "the programme must exist",
    ("GET", "/api/v1/analytics/summary/export"): "the programme must exist",
    ("GET", "/api/v1/analytics/households"): "the programme must exist",
    ("GET", "/api/v1/analytics/households/export"): "the programme must exist",
    ("POST", "/api/v1/analytics/snapshots"): "a period of at most 10 years",
    ("POST", "/api/v1/review/visits/{visit_id}/decision"): "the reason code must be in the review catalogue",
    ("POST", "/api/v1/photos/uploads"): "the metadata's photo_id and sha256 (a visit may have declared them)",
    ("POST", "/api/v1/musyawarah"): "the campaign must exist",
    ("POST", "/api/v1/musyawarah/rekap"): "the campaign must exist",
    ("POST", "/api/v1/analytics/rules"): "programme codes must exist; valid_until must not be before valid_from",
    ("PATCH", "/api/v1/analytics/rules/{rule_id}"): "the rule as changed must fit its kind; programmes must exist",
    ("POST", "/api/v1/analytics/exports"): "the period must end after it starts",
    ("POST", "/api/v1/review/decisions"): "the reason code must be in the review catalogue",
    ("POST", "/api/v1/musyawarah/{round_id}/lock"): "the scan's contents: a PDF, JPEG or PNG",
    ("POST", "/api/v1/musyawarah/{round_id}/decisions/import"): "the file's contents: the round's lists (XLSX)",
    # OpenAPI 3.0 cannot compare two numbers of one parameter.
    ("GET", "/api/v1/gis/exports/households.geojson"): "bbox: miny must not exceed maxy",
    ("GET", "/api/v1/gis/exports/households.gpkg"): "bbox: miny must not exceed maxy",
    # OpenAPI 3.0 cannot say "no control character in a key" of a free-form object (no propertyNames).
    ("POST", "/api/v1/sync/push"): "no control character in the keys of an item (free-form in the document)",
}
# Operations with checks off until their document or server is fixed (issue 12): none left. Add a line only
# with the owner's name and what is wrong, and remove it once fixed.
KNOWN_OPEN: dict[tuple[str, str], tuple[str, str]] = {}
# Operations no case of the run brings to 2xx yet, and why (issue 12): none left.
NOT_YET_2XX: dict[str, str] = {}
# Multipart operations whose valid file the world's client sends beside the drawn case (see `_bodies`).
SENT_BESIDE = {"POST /api/v1/musyawarah/{round_id}/decisions/import", "POST /api/v1/musyawarah/{round_id}/lock"}
KNOWN_OPEN_CHECKS = {
    "positive_data_acceptance": {"enabled": False},
    "negative_data_rejection": {"enabled": False},
    "response_schema_conformance": {"enabled": False},
}
# 412: a version that is no longer the current one (optimistic locking) is refused, however well formed.
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "412", "429"]
ROLE_ORDER = ("admin", "supervisor", "enumerator", "viewer")
DOCUMENTED_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}
ROLE_VALUES = {"admin": "admin", "supervisor": "supervisor", "enumerator": "enumerator", "viewer": "viewer"}


def _config(role: str, operations: dict[tuple[str, str], str]) -> SchemathesisConfig:
    """Each operation gets the coverage phase (boundary values, every missing or mistyped parameter) and
    EXAMPLES drawn cases under one role: the first of admin, supervisor, enumerator, viewer it admits. The
    other roles send a few drawn cases each (what they may see and do, and their refusals)."""
    entries = []
    for (method, path), coverage_role in sorted(operations.items()):
        positive = [*POSITIVE_STATUSES, "400", "422"] if (method, path) in NEEDS_THE_DATA else POSITIVE_STATUSES
        checks: dict[str, Any] = {"positive_data_acceptance": {"expected-statuses": positive}}
        if (method, path) in KNOWN_OPEN:
            checks = KNOWN_OPEN_CHECKS
        entries.append(
            {
                "include-name": f"{method} {path}",  # include-method with include-path matches either
                "phases": {"coverage": {"enabled": coverage_role == role}},
                "generation": {"max-examples": EXAMPLES if coverage_role == role else max(1, EXAMPLES // 3)},
                "checks": checks,
            }
        )
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # The role's own token is added to every request; schemathesis's ignored_auth check still sends
            # each operation once without it and expects 401.
            "generation": {"max-examples": EXAMPLES, "database": "none", "with-security-parameters": False},
            "phases": {"stateful": {"enabled": False}},
            "checks": {
                # A missing If-Match is answered 428 Precondition Required (RFC 6585), the status made for it;
                # a missing Tus-Resumable 412, as the tus protocol says.
                "missing_required_header": {"expected-statuses": [400, 401, 403, 406, 412, 415, 422, 428]},
                "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES},
                # A tus request of another protocol version (or none) is refused 412, as tus prescribes.
                # … and a URL longer than MAX_URL_LENGTH 414, in the envelope.
                "negative_data_rejection": {
                    "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 412, 414, 415, 422, 428, 429]
                },
            },
            "operations": entries,
        }
    )


# Status codes per operation over the whole run (all roles): every operation must answer 2xx at least once.
ANSWERED: dict[str, set[int]] = defaultdict(set)
CALLS = itertools.count()


@schemathesis.check
def error_envelope(ctx, response, case):
    """Every refusal of an /api/ operation is `{"error": {"code", "message", "details"}}`."""
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return None
    try:
        body = json.loads(response.content)
    except ValueError as error:
        raise AssertionError(f"{response.status_code} answered outside the error envelope (not JSON)") from error
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict) and {"code", "message", "details"} <= error.keys(), (
        f"{response.status_code} answered outside the error envelope: {response.content[:200]!r}"
    )
    return None


class FuzzApp:
    """The WSGI app schemathesis sends to: the fuzz database's app, known once the fixture has made it."""

    app = None
    requests = 0  # every request of the run: the cases' and those the checks send themselves

    def __call__(self, environ, start_response):
        assert self.app is not None, "the world fixture sets the app"
        self.requests += 1
        return self.app(environ, start_response)


def _document_and_roles() -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """The document as the app serves it (built from the URL map and the views; no database needed), and for
    each operation the role that explores it in depth: the first of ROLE_ORDER its view admits."""
    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": "postgresql://unused/document"})
    document = app.test_client().get("/api/openapi.json").get_json()
    roles = {}
    for rule in documented_rules(app):
        admitted = {
            getattr(role, "value", role) for role in getattr(app.view_functions[rule.endpoint], "required_roles", ())
        }
        first = next((role for role in ROLE_ORDER if not admitted or ROLE_VALUES[role] in admitted), "admin")
        path = FlaskPlugin.flaskpath2openapi(rule.rule)
        for method in DOCUMENTED_METHODS & {method.lower() for method in rule.methods or ()}:
            if method in document["paths"].get(path, {}):
                roles[(method.upper(), path)] = first
    return document, roles


# tus chunks are plain bytes, sent as schemathesis sends application/octet-stream.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
FUZZ_APP = FuzzApp()
DOCUMENT, COVERAGE_ROLES = _document_and_roles()
SCHEMAS = {}
for _role in ROLE_ORDER:
    SCHEMAS[_role] = schemathesis.openapi.from_dict(DOCUMENT, config=_config(_role, COVERAGE_ROLES))
    SCHEMAS[_role].app = FUZZ_APP
OPERATIONS = {
    f"{method.upper()} {path}"
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in DOCUMENTED_METHODS
}


class World:
    """The fuzz database's app, each role's session (renewed after an operation that may end it) and the
    records planted for operations on a record: their ids stand in for drawn ones in some valid cases."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.tokens: dict[str, dict[str, Any]] = {}
        self.known: dict[str, Any] = {}
        self.jobs: dict[str, str] = {}
        self.uploads: dict[str, str] = {}
        self.rekaps: dict[str, str] = {}
        self.spares: list[str] = []

    def login(self, role: str) -> dict[str, Any]:
        username = ROLES.get(role, role)
        with self.app.app_context(), unit_of_work():
            # Undo what an operation of the run may have done to the account: password, deactivation, limits.
            limiter.reset()
            user = db.session.scalar(sa.select(User).where(User.username == username))
            user.password_hash = hash_password(DEMO_PASSWORD)
            user.active = True
        response = self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD, "device_name": f"fuzz {role}"}
        )
        assert response.status_code == 200, response.get_json()
        self.tokens[role] = response.get_json()["data"]
        return self.tokens[role]

    def headers(self, role: str) -> dict[str, str]:
        tokens = self.tokens.get(role) or self.login(role)
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    def plant(self) -> None:
        with self.app.app_context():
            enumerator = db.session.scalar(sa.select(User).where(User.username == ROLES["enumerator"]))
            assignment = db.session.scalars(
                sa.select(Assignment).where(Assignment.enumerator_id == enumerator.id).order_by(Assignment.household_id)
            ).first()
            household = db.session.get(Household, assignment.household_id)
            member = db.session.scalars(sa.select(Member).where(Member.household_id == household.id)).first()
            target = db.session.scalar(sa.select(User).where(User.username == "reviewer"))
            self.known.update(
                household_id=str(household.id),
                member_id=str(member.id),
                campaign_id=assignment.campaign_id,
                enumerator_id=enumerator.id,
                kelurahan=household.region_code,
                user_id=target.id,
                code="PKH",
            )
        reviewer = self.client.post(
            "/api/v1/auth/login", json={"username": "reviewer", "password": DEMO_PASSWORD, "device_name": "fuzz target"}
        ).get_json()["data"]
        self.known["device_id"] = reviewer["device"]["id"]
        photo_bytes = _jpeg()
        photo = {"id": str(uuid.uuid4()), "kind": "house_front", "sha256": hashlib.sha256(photo_bytes).hexdigest()}
        visit = {
            "id": str(uuid.uuid4()),
            "household_id": self.known["household_id"],
            "base_version": 1,
            "device_time": "2026-11-28T09:12:00+08:00",
            "gps": {"lon": 117.15, "lat": -0.5, "accuracy_m": 12.5, "fixed_at": "2026-11-28T09:11:50+08:00"},
            "outcome": "found",
            "consent": True,
            "members": [],
            "house_condition": {},
            "aid_reported": [],
            "notes": "fuzz",
            "photos": [photo],
        }
        pushed = self.client.post("/api/v1/sync/push", json={"items": [visit]}, headers=self.headers("enumerator"))
        assert pushed.status_code == 200, pushed.get_json()
        self.known["visit_id"] = visit["id"]
        # The visit's photo uploaded whole (tus), and a second upload left open for the tus operations.
        location = self.tus_create(photo_bytes, photo["id"])
        done = self.client.patch(
            location,
            data=photo_bytes,
            headers={**self.tus_headers(), "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        )
        assert done.status_code == 204, done.get_json()
        self.known["photo_id"] = photo["id"]
        self.known["tus_upload_id"] = self.tus_create(photo_bytes, str(uuid.uuid4())).rsplit("/", 1)[-1]
        exported = self.client.get("/api/v1/households/export.csv", headers=self.headers("admin"))
        assert exported.status_code == 200
        dry_run = self.client.post(
            "/api/v1/imports/registry?dry_run=true",
            data={"file": (io.BytesIO(exported.data), "registry.csv")},
            headers=self.headers("supervisor"),
        )
        assert dry_run.status_code == 201, dry_run.get_json()
        self.known["import_id"] = dry_run.get_json()["data"]["id"]
        for role in ("admin", "supervisor"):
            job = self.client.post("/api/v1/households/exports", json={}, headers=self.headers(role))
            assert job.status_code == 202, job.get_json()
            self.jobs[role] = job.get_json()["data"]["id"]
            upload = self.client.post("/api/v1/jobs/uploads", headers=self.headers(role))
            assert upload.status_code == 201, upload.get_json()
            self.uploads[role] = upload.get_json()["data"]["id"]
        self.plant_records()

    def plant_records(self) -> None:
        """A record for each operation on one: a programme rule, a snapshot, aid match proposals, a
        musyawarah round of the planted kelurahan with its package, a rekap per manager, spare households."""
        admin = self.headers("admin")
        with self.app.app_context():
            household = db.session.get(Household, uuid.UUID(self.known["household_id"]))
            # The round's kelurahan: the one with the most approved visits (findings for the forum).
            self.known["round_kelurahan"] = db.session.scalars(
                sa.select(Household.region_code)
                .join(Visit, Visit.household_id == Household.id)
                .where(Visit.review_status == "approved")
                .group_by(Household.region_code)
                .order_by(sa.func.count().desc(), Household.region_code)
            ).first()
            others = db.session.scalars(
                sa.select(Household.id)
                .where(Household.region_code != self.known["round_kelurahan"], Household.id != household.id)
                .order_by(Household.id)
            ).all()
            # One to unassign, the rest to merge into the planted household one by one.
            self.known["spare_household_id"] = str(others[0])
            self.spares = [str(other) for other in others[1:]]
            programs = db.session.scalars(sa.select(AidProgram.code).order_by(AidProgram.code)).all()
            head = db.session.scalars(
                sa.select(Member).where(Member.household_id == household.id).order_by(Member.relationship_code)
            ).first()
            kk_number, head_name = household.kk_number, head.name
        self.known["kk_number"] = kk_number
        self.known["programs"] = programs[:2]
        rule = self.client.post(
            "/api/v1/analytics/rules",
            json={"kind": "same_purpose", "programs": programs[:2], "legal_basis": "Uji fuzz / fuzz test"},
            headers=admin,
        )
        assert rule.status_code == 201, rule.get_json()
        self.known["rule_id"] = rule.get_json()["data"]["id"]
        snapshot = self.client.post("/api/v1/analytics/snapshots", json=SNAPSHOT, headers=admin)
        assert snapshot.status_code == 201, snapshot.get_json()
        self.known["snapshot_id"] = snapshot.get_json()["data"]["id"]
        # PKH lists families by No. KK: numbers the registry lacks, named as the planted head, become
        # proposals naming the planted household (one per confirm or reject of the run).
        rows = "".join(f"{kk_number[:12]}{9900 + n},{head_name},{self.known['kelurahan']}\n" for n in range(12))
        aid = self.client.post(
            "/api/v1/imports/aid?program=PKH&period_start=2026-01-01&period_end=2026-03-31&filename=aid.csv",
            data=f"no_kk,nama,kode_kelurahan\n{rows}".encode(),
            headers={**admin, "Content-Type": "application/octet-stream"},
        )
        assert aid.status_code == 202 and aid.get_json()["data"]["state"] == "done", aid.get_json()
        round_ = self.client.post(
            "/api/v1/musyawarah",
            json={"campaign_id": self.known["campaign_id"], "region_code": self.known["round_kelurahan"]},
            headers=admin,
        )
        assert round_.status_code in (200, 201), round_.get_json()
        self.known["round_id"] = round_.get_json()["data"]["id"]
        package = self.client.post(f"/api/v1/musyawarah/{self.known['round_id']}/package", headers=admin)
        assert package.status_code == 202 and package.get_json()["data"]["state"] == "done", package.get_json()
        assert self.round_items(), "the planted kelurahan has findings for the forum"
        for role in ("admin", "supervisor"):
            rekap = self.client.post(
                "/api/v1/musyawarah/rekap", json={"campaign_id": self.known["campaign_id"]}, headers=self.headers(role)
            )
            assert rekap.status_code == 202, rekap.get_json()
            self.rekaps[role] = rekap.get_json()["data"]["id"]

    def round_items(self) -> list[dict[str, Any]]:
        found = self.client.get(f"/api/v1/musyawarah/{self.known['round_id']}/items", headers=self.headers("admin"))
        assert found.status_code == 200, found.get_json()
        return found.get_json()["data"]

    def bring_round(self, wanted: str) -> None:
        """The planted round brought (as admin) to `held` (all rows decided), `locked`, or any state in which
        rows can be decided (`ready` or `held`), whatever the run did to it before."""
        admin, base = self.headers("admin"), f"/api/v1/musyawarah/{self.known['round_id']}"
        state = self.client.get(base, headers=admin).get_json()["data"]["state"]
        if state == "locked" and wanted != "locked":
            state = self.client.post(f"{base}/unlock", json={"reason": "uji fuzz"}, headers=admin).get_json()
            state = state["data"]["state"]
        if state == "open":
            self.client.post(f"{base}/package", headers=admin)
            state = self.client.get(base, headers=admin).get_json()["data"]["state"]
        if wanted in ("held", "locked") and state == "ready":
            state = self.client.post(f"{base}/decisions/all", json={"decision": "setuju"}, headers=admin).get_json()
            state = state["data"]["state"]
        if wanted == "locked" and state == "held":
            body, content_type = encode_multipart_formdata({"file": ("berita-acara.jpg", _jpeg(), "image/jpeg")})
            self.client.post(f"{base}/lock", data=body, headers={**admin, "Content-Type": content_type})

    def cancel_queued(self) -> None:
        """No job planted for the cancel operation stays queued, whatever the case did: with no worker here,
        a job queued for minutes makes /health answer 503 jobs.stalled (as it should)."""
        with self.app.app_context(), unit_of_work():
            db.session.execute(sa.update(Job).where(Job.state == "queued").values(state="cancelled"))

    def tus_headers(self) -> dict[str, str]:
        return {**self.headers("enumerator"), "Tus-Resumable": "1.0.0"}

    def tus_metadata(self, data: bytes, photo_id: str) -> dict[str, str]:
        values = {"photo_id": photo_id, "sha256": hashlib.sha256(data).hexdigest()}
        metadata = ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())
        return {"Upload-Length": str(len(data)), "Upload-Metadata": metadata}

    def tus_create(self, data: bytes, photo_id: str) -> str:
        created = self.client.post(
            "/api/v1/photos/uploads", headers={**self.tus_headers(), **self.tus_metadata(data, photo_id)}
        )
        assert created.status_code == 201, created.get_json()
        return created.headers["Location"]

    def review_version(self) -> int:
        with self.app.app_context():
            return db.session.get(Visit, uuid.UUID(self.known["visit_id"])).review_version

    def household_version(self) -> str:
        with self.app.app_context():
            return str(db.session.get(Household, uuid.UUID(self.known["household_id"])).version)


@pytest.fixture(scope="module")
def world(make_committed_app, tmp_path_factory) -> Iterator[World]:
    app = make_committed_app("_fuzz")
    app.config["PHOTO_STORE"] = str(tmp_path_factory.mktemp("fuzz-photos"))
    with app.app_context(), unit_of_work():
        load_demo_city(households=HOUSEHOLDS, seed=SEED)
    # Requests of the cases and of the checks that send their own (ignored auth, resources) go to this app.
    FUZZ_APP.app = app
    made = World(app)
    made.plant()
    yield made
    report = os.environ.get("FUZZ_REPORT")
    if report:  # statuses per operation, for a look at a long run
        with open(report, "w", encoding="utf-8") as out:
            statuses = {label: sorted(found) for label, found in sorted(ANSWERED.items())}
            json.dump({"requests": FUZZ_APP.requests, "statuses": statuses}, out, indent=1)


def _tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The web-mercator tile (x, y) holding a point."""
    n = 2**zoom
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def _jpeg() -> bytes:
    image = Image.new("RGB", (32, 24), "teal")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


def _known_ids(case, world: World, role: str) -> None:
    """Path parameters of a planted record in place of drawn ones."""
    upload = world.known["tus_upload_id"] if case.path.startswith("/api/v1/photos/") else world.uploads.get(role)
    jobs = world.rekaps if case.path.startswith("/api/v1/musyawarah/rekap/") else world.jobs
    known = {**world.known, "job_id": jobs.get(role), "upload_id": upload}
    for name in case.path_parameters or {}:
        if known.get(name) is not None:
            case.path_parameters[name] = known[name]


def _bodies(world: World, role: str) -> dict[str, Callable[[Any], None]]:
    """Valid requests that need the data (credentials, versions, existing ids) for operations no drawn body
    can pass; used in place of some drawn cases so each operation gets a chance to succeed."""

    def login(case):
        case.body = {"username": ROLES[role], "password": DEMO_PASSWORD, "device_name": "fuzz login"}

    def refresh(case):  # a session of its own: a refresh token is used once
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {world.login(role)['refresh_token']}"}

    def password(case):
        case.body = {"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD}

    def household(case):
        case.headers = {**(case.headers or {}), "If-Match": world.household_version()}
        case.body = {"address": f"Jl. Fuzz {next(CALLS)}"}

    def assign(case):
        case.body = {"household_ids": [world.known["household_id"]], "enumerator_id": world.known["enumerator_id"]}

    def unassign(case):  # a household of the planted kelurahan no operation of the run relies on
        case.body = {"household_ids": [world.known["spare_household_id"]]}

    def user(case):
        case.body = {
            "username": f"fuzz-{role}-{next(CALLS)}",
            "full_name": "Fuzz",
            "role": "viewer",
            "region_codes": ["64.72"],
            "password": NEW_PASSWORD,
        }

    def tus_create(case):
        data = f"fuzz {next(CALLS)}".encode()
        case.headers = {**(case.headers or {}), "Tus-Resumable": "1.0.0", **world.tus_metadata(data, str(uuid.uuid4()))}

    def tus_append(case):  # the drawn bytes at offset 0 of the open upload
        case.headers = {**(case.headers or {}), "Tus-Resumable": "1.0.0", "Upload-Offset": "0"}

    def tus_terminate(case):  # an upload of its own, so the open one stays for the others
        location = world.tus_create(b"fuzz", str(uuid.uuid4()))
        case.path_parameters = {**(case.path_parameters or {}), "upload_id": location.rsplit("/", 1)[-1]}

    def cancel(case):  # a job still queued (no worker here: jobs run inline unless told otherwise)
        world.app.config["JOBS_INLINE"] = False
        try:
            queued = world.client.post("/api/v1/households/exports", json={}, headers=world.headers(role))
        finally:
            world.app.config["JOBS_INLINE"] = True
        if queued.status_code == 202:
            case.path_parameters = {**(case.path_parameters or {}), "job_id": queued.get_json()["data"]["id"]}

    def revoke_token(case):
        made = world.client.post("/api/v1/auth/tokens", json={"name": "fuzz"}, headers=world.headers(role))
        if made.status_code == 201:
            case.path_parameters = {**(case.path_parameters or {}), "token_id": made.get_json()["data"]["id"]}

    def decide(case):
        case.headers = {**(case.headers or {}), "If-Match": f'"{world.review_version()}"'}
        case.body = {"decision": "approve"}

    def if_match(case) -> None:
        case.headers = {**(case.headers or {}), "If-Match": world.household_version()}

    def add_member(case):
        if_match(case)
        case.body = {"name": f"Anak Fuzz {next(CALLS)}", "sex": 2, "relationship_code": 3}

    def edit_member(case):
        if_match(case)
        case.body = {"birth_place": "Samarinda"}

    def merge(case):  # each spare household of the planted kelurahan is merged once
        if world.spares:
            if_match(case)
            case.body = {"duplicate_id": world.spares.pop(0), "reason": "uji fuzz"}

    def rule(case):
        case.body = {"kind": "same_purpose", "programs": world.known["programs"], "legal_basis": "Uji fuzz"}

    def tile(case):  # the kelurahan layer's tile over the planted visit (117.15 E, 0.5 S) at zoom 10
        x, y = _tile_of(117.15, -0.5, 10)
        case.path_parameters = {"layer": "kelurahan", "z": 10, "x": x, "y": y}
        case.query = {}

    def append_part(case):  # the next part of the role's open upload, at its offset
        status = world.client.get(f"/api/v1/jobs/uploads/{world.uploads[role]}", headers=world.headers(role))
        if status.status_code == 200:
            offset = str(status.get_json()["data"]["offset"])
            case.headers = {**(case.headers or {}), "Upload-Offset": offset}

    def aid(case):  # a dry run of a one-row list naming the planted household's No. KK
        case.media_type = "application/octet-stream"
        case.body = f"no_kk,nama\n{world.known['kk_number']},Fuzz\n".encode()
        case.query = {"program": "PKH", "period_start": "2026-01-01", "period_end": "2026-03-31", "dry_run": "true"}

    def proposal(confirm: bool):
        def plant(case):
            found = world.client.get("/api/v1/imports/proposals?state=pending", headers=world.headers(role))
            pending = found.get_json()["data"] if found.status_code == 200 else []
            if pending:
                case.path_parameters = {**(case.path_parameters or {}), "proposal_id": pending[0]["id"]}
                if confirm:
                    case.body = {"household_id": pending[0]["candidates"][0]["household_id"]}

        return plant

    def bulk(case):  # a pending visit of the demo city (never the planted one, which `decide` uses)
        with world.app.app_context():
            pending = db.session.scalars(
                sa.select(Visit.id).where(
                    Visit.review_status == "pending", Visit.id != uuid.UUID(world.known["visit_id"])
                )
            ).first()
        if pending:
            case.body = {"decision": "approve", "ids": [str(pending)]}

    def round_in(wanted: str, body: Callable[[], Any] | None = None):
        def plant(case):
            world.bring_round(wanted)
            if body is not None:
                case.body = body()

        return plant

    def upload(label: str, wanted: str, name: str, data: Callable[[], bytes | None]) -> Callable[[Any], None]:
        """A valid file for a multipart operation, sent beside the drawn case by the world's client: a body
        holding bytes schemathesis did not draw counts as invalid for it (its checks would then expect a
        refusal), so the case stays as drawn and this request's answer counts for the operation."""

        def plant(case):
            world.bring_round(wanted)
            content = data()
            if content is not None:
                path = case.path.replace("{round_id}", str(world.known["round_id"]))
                sent = world.client.post(path, data={"file": (io.BytesIO(content), name)}, headers=world.headers(role))
                ANSWERED[label].add(sent.status_code)

        return plant

    def lists() -> bytes | None:  # the lists as generated (no decision filled in: nothing to record)
        found = world.client.get(
            f"/api/v1/musyawarah/{world.known['round_id']}/lists.xlsx", headers=world.headers(role)
        )
        return found.data if found.status_code == 200 else None

    def decisions():
        return {"decisions": [{"item_id": world.round_items()[0]["id"], "decision": "setuju"}]}

    return {
        "POST /api/v1/households/{household_id}/members": add_member,
        "PATCH /api/v1/households/{household_id}/members/{member_id}": edit_member,
        "POST /api/v1/households/{household_id}/merge": merge,
        "POST /api/v1/analytics/rules": rule,
        "PATCH /api/v1/analytics/rules/{rule_id}": lambda case: setattr(case, "body", {"label": "Uji fuzz"}),
        "GET /api/v1/tiles/{layer}/{z}/{x}/{y}.mvt": tile,
        "PATCH /api/v1/jobs/uploads/{upload_id}": append_part,
        "POST /api/v1/imports/aid": aid,
        "POST /api/v1/imports/proposals/{proposal_id}/confirm": proposal(confirm=True),
        "POST /api/v1/imports/proposals/{proposal_id}/reject": proposal(confirm=False),
        "POST /api/v1/review/decisions": bulk,
        "POST /api/v1/musyawarah": lambda case: setattr(
            case, "body", {"campaign_id": world.known["campaign_id"], "region_code": world.known["round_kelurahan"]}
        ),
        "POST /api/v1/musyawarah/rekap": lambda case: setattr(
            case, "body", {"campaign_id": world.known["campaign_id"]}
        ),
        "POST /api/v1/musyawarah/{round_id}/package": round_in("ready"),
        "GET /api/v1/musyawarah/{round_id}/scan": round_in("locked"),
        "POST /api/v1/musyawarah/{round_id}/unlock": round_in("locked", lambda: {"reason": "uji fuzz"}),
        "POST /api/v1/musyawarah/{round_id}/decisions": round_in("ready", decisions),
        "POST /api/v1/musyawarah/{round_id}/decisions/all": round_in("ready", lambda: {"decision": "setuju"}),
        "POST /api/v1/musyawarah/{round_id}/decisions/import": upload(
            "POST /api/v1/musyawarah/{round_id}/decisions/import", "ready", "daftar.xlsx", lists
        ),
        "POST /api/v1/musyawarah/{round_id}/lock": upload(
            "POST /api/v1/musyawarah/{round_id}/lock", "held", "berita-acara.jpg", _jpeg
        ),
        "POST /api/v1/jobs/{job_id}/cancel": cancel,
        "DELETE /api/v1/auth/tokens/{token_id}": revoke_token,
        "POST /api/v1/review/visits/{visit_id}/decision": decide,
        "DELETE /api/v1/photos/uploads/{upload_id}": tus_terminate,
        "POST /api/v1/photos/uploads": tus_create,
        "PATCH /api/v1/photos/uploads/{upload_id}": tus_append,
        "POST /api/v1/auth/login": login,
        "POST /api/v1/auth/refresh": refresh,
        "POST /api/v1/auth/password": password,
        "PATCH /api/v1/households/{household_id}": household,
        "POST /api/v1/campaigns/{campaign_id}/assignments": assign,
        "POST /api/v1/campaigns/{campaign_id}/assignments/unassign": unassign,
        "POST /api/v1/users": user,
        "PATCH /api/v1/users/{user_id}": lambda case: setattr(case, "body", {"full_name": "Fuzz Target"}),
        "POST /api/v1/users/{user_id}/password": lambda case: setattr(case, "body", {"password": NEW_PASSWORD}),
        "PATCH /api/v1/programs/{code}": lambda case: setattr(case, "body", {"name": "Program Keluarga Harapan"}),
    }


def _exercise(case, world: World, role: str) -> None:
    label = f"{case.method} {case.path}"
    positive = case.meta is None or (case.meta.generation.mode.is_positive and case.meta.phase.name.value != "coverage")
    # Every other valid case of an operation on a record uses a planted one (and a valid body where one
    # needs the data); the rest stay as drawn.
    if positive and next(CALLS) % 2 == 0:
        _known_ids(case, world, role)
        planted = _bodies(world, role).get(label)
        if planted:
            planted(case)
    elif positive and label in SENT_BESIDE:  # a valid upload beside every valid case left as drawn
        _bodies(world, role)[label](case)
    # identity: the in-process client does not undo a gzip answer (the pull's) as an HTTP client would.
    own_token = "Authorization" not in (case.headers or {})
    headers = {**(world.headers(role) if own_token else {}), "Accept-Encoding": "identity"}
    response = case.call(headers=headers)
    ANSWERED[label].add(response.status_code)
    try:
        case.validate_response(response, headers=headers, additional_checks=[error_envelope])
    except BaseException as failure:  # schemathesis's FailureGroup is a BaseExceptionGroup
        if os.environ.get("FUZZ_REPORT"):  # failures as they come, for a look during a long run
            with open(os.environ["FUZZ_REPORT"] + ".failures", "a", encoding="utf-8") as out:
                out.write(f"=== {role} {label}\n{str(failure)[:1500]}\n")
        raise
    finally:
        # A 401 to the role's own token (not to a case's drawn Authorization) means the session has ended.
        if label in SESSION_ENDING or (response.status_code == 401 and own_token):
            world.login(role)
        if label == "POST /api/v1/jobs/{job_id}/cancel":
            world.cancel_queued()


@SCHEMAS["admin"].parametrize()
def test_as_admin(case, world):
    _exercise(case, world, "admin")


@SCHEMAS["supervisor"].parametrize()
def test_as_supervisor(case, world):
    _exercise(case, world, "supervisor")


@SCHEMAS["enumerator"].parametrize()
def test_as_enumerator(case, world):
    _exercise(case, world, "enumerator")


@SCHEMAS["viewer"].parametrize()
def test_as_viewer(case, world):
    _exercise(case, world, "viewer")


def test_every_operation_answered_2xx_at_least_once():
    """Over the whole run (all four roles), each operation succeeded at least once: an operation only ever
    refused tests nothing beyond its refusal. NOT_YET_2XX lists those the run cannot yet bring to success
    (no planted record or valid body for them yet); the list may only shrink."""
    if not set(ANSWERED) >= OPERATIONS:
        pytest.skip("only part of the fuzz run ran (select the whole module)")
    never = {label for label in OPERATIONS if not any(200 <= status < 300 for status in ANSWERED[label])}
    unexpected = sorted(never - set(NOT_YET_2XX))
    assert unexpected == [], "never answered 2xx: " + "; ".join(f"{op} {sorted(ANSWERED[op])}" for op in unexpected)
    reached = sorted(set(NOT_YET_2XX) - never)
    if reached:  # drawn cases sometimes get there: a note, not a failure
        warnings.warn(f"answered 2xx in this run, consider removing from NOT_YET_2XX: {reached}", stacklevel=1)
