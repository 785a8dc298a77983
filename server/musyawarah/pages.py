"""The musyawarah pages of the staff workspace (/staff/musyawarah/): the rounds of a campaign in the caller's
area, and one round's page: its stage, the package (lists XLSX and berita acara PDF) generated as a job, the
rows of the lists per section with the forum's decision per row or for all, the filled-in XLSX imported
back, the signed scan uploaded to lock it, and an admin's unlock. Same services as the API (scope, audit)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from server.campaigns.models import Campaign
from server.errors import validation_error
from server.extensions import db
from server.musyawarah import service
from server.musyawarah.models import SECTIONS
from server.staff.access import staff_view
from server.types import Role
from server.visits.flags import FLAGS

bp = Blueprint("staff_musyawarah", __name__, url_prefix="/staff/musyawarah", template_folder="templates")

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)
SECTION_NAMES = {
    "tetap": _l("Tetap"),
    "perbaikan": _l("Perbaikan data"),
    "hapus": _l("Usulan hapus"),
    "anggota": _l("Perubahan anggota"),
    "usulan_baru": _l("Usulan baru"),
    "inklusi": _l("Kesalahan inklusi"),
    "tanpa_bantuan": _l("Layak tanpa bantuan"),
}
STATE_NAMES = {
    "open": _l("Terbuka"),
    "ready": _l("Daftar siap"),
    "held": _l("Sudah dimusyawarahkan"),
    "locked": _l("Dikunci"),
}
DECISION_NAMES = {"setuju": _l("Setuju"), "tidak_setuju": _l("Tidak setuju")}


def _campaigns() -> list[Campaign]:
    return list(db.session.execute(sa.select(Campaign).order_by(Campaign.id.desc())).scalars())


def _kelurahan() -> list[tuple[str, str]]:
    from server.auth.access import in_scope
    from server.regions.models import Region

    rows = db.session.execute(
        sa.select(Region.code, Region.name)
        .where(Region.level == "kelurahan", in_scope(g.actor, Region.code))
        .order_by(Region.code)
    ).all()
    return [(row.code, row.name) for row in rows]


@bp.get("/")
@staff_view(*MANAGERS)
def index():
    campaigns = _campaigns()
    chosen = request.args.get("campaign", type=int) or (campaigns[0].id if campaigns else None)
    rounds = service.list_rounds(g.actor, campaign_id=chosen) if chosen else []
    return render_template(
        "musyawarah/index.html",
        campaigns=campaigns,
        chosen=chosen,
        rounds=rounds,
        kelurahan=_kelurahan(),
        states=STATE_NAMES,
    )


@bp.post("/buka")
@staff_view(*MANAGERS)
def open_round():
    campaign_id = request.form.get("campaign", type=int)
    region = (request.form.get("region_code") or "").strip()
    if not campaign_id or not region:
        raise validation_error({"region_code": ["Pilih kampanye dan kelurahan / choose a campaign and a kelurahan"]})
    found = service.open_round(g.actor, campaign_id, region)
    return redirect(url_for("staff_musyawarah.detail", round_id=found.id), 303)


@bp.get("/<int:round_id>")
@staff_view(*MANAGERS)
def detail(round_id: int):
    view = service.get_round_view(g.actor, round_id)
    counts = view["counts"]
    section = request.args.get("bagian")
    if section not in SECTIONS:
        section = next(
            (s for s in SECTIONS if counts.get(s, {}).get("rows", 0) > counts.get(s, {}).get("decided", 0)), "tetap"
        )
    items = service.items_view(g.actor, round_id, section=section) if view["state"] != "open" else []
    return render_template(
        "musyawarah/detail.html",
        round=view,
        counts=counts,
        section=section,
        sections=SECTIONS,
        items=items,
        section_names=SECTION_NAMES,
        states=STATE_NAMES,
        decisions=DECISION_NAMES,
        undecided=sum(c["rows"] - c["decided"] for c in counts.values()),
        is_admin=g.actor.is_admin,
        flag_words={code: flag.label_id for code, flag in FLAGS.items()},
    )


def _back(round_id: int, section: str | None = None):
    target = url_for("staff_musyawarah.detail", round_id=round_id, bagian=section or None)
    return redirect(target, 303)


@bp.post("/<int:round_id>/paket")
@staff_view(*MANAGERS)
def package(round_id: int):
    service.request_package(g.actor, round_id)
    return _back(round_id)


@bp.post("/<int:round_id>/keputusan")
@staff_view(*MANAGERS)
def decisions(round_id: int):
    """Rows whose decision select was set on the page (the others stay undecided)."""
    entries = []
    for key, value in request.form.items():
        if key.startswith("decision-") and value in ("setuju", "tidak_setuju"):
            item_id = int(key.removeprefix("decision-"))
            entries.append(
                {"item_id": item_id, "decision": value, "remarks": request.form.get(f"remarks-{item_id}", "").strip()}
            )
    if entries:
        service.record_decisions(g.actor, round_id, entries)
    return _back(round_id, request.form.get("bagian"))


@bp.post("/<int:round_id>/keputusan-semua")
@staff_view(*MANAGERS)
def decide_all(round_id: int):
    section = request.form.get("bagian") or None
    service.decide_all(g.actor, round_id, "setuju", section=section, remarks=None)
    return _back(round_id, section)


@bp.post("/<int:round_id>/impor")
@staff_view(*MANAGERS)
def import_decisions(round_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise validation_error({"file": ["Pilih berkas XLSX / choose the XLSX file"]})
    service.import_decisions(g.actor, round_id, upload.stream)
    return _back(round_id)


@bp.post("/<int:round_id>/kunci")
@staff_view(*MANAGERS)
def lock(round_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise validation_error({"file": ["Pilih pindaian berita acara / choose the signed scan"]})
    service.lock(g.actor, round_id, filename=upload.filename, media_type=upload.mimetype, source=upload.stream)
    return _back(round_id)


@bp.post("/<int:round_id>/buka-kunci")
@staff_view(Role.ADMIN)
def unlock(round_id: int):
    service.unlock(g.actor, round_id, request.form.get("reason", ""))
    return _back(round_id)


@bp.get("/<int:round_id>/<any(daftar, 'berita-acara', pindaian):what>")
@staff_view(*MANAGERS)
def download(round_id: int, what: str):
    from flask import send_file

    kind = {"daftar": "lists", "berita-acara": "berita_acara", "pindaian": "scan"}[what]
    path, name, media = service.package_file(g.actor, round_id, kind)
    return send_file(path, mimetype=media, as_attachment=True, download_name=name, max_age=0)
