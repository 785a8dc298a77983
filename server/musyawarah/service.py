"""Musyawarah use cases: rounds per kelurahan and campaign, the rows of the forum's lists built from the
findings, the forum's decisions (per row, in bulk, or from the filled-in XLSX) and what they do to the
registry, locking by the signed scan and an admin's unlock.

What a decision does, per section:
- hapus / anggota / usulan_baru (proposed changes, state `proposed` in server/history/): `setuju` applies
  them (household status, merge target and tombstone, moved address, members' presence, new members; a new
  household becomes `active` with its registry id to come; a merge or duplicate moves the present members
  into the target, see `_fold`), marks them `accepted` and bumps the household's
  version so phones pull it; `tidak_setuju` marks them `overturned` with the forum's reason (a household
  proposed in the field is then removed and the phones told to forget it);
- perbaikan (corrections applied at review): `setuju` keeps them; `tidak_setuju` reverts them (old values
  back, rows `reverted`, the undoing recorded as an `applied` musyawarah change);
- tetap / inklusi / tanpa_bantuan: the decision and remarks are recorded (no registry change).
`tidak_setuju` needs remarks (the reason). A decided row may be decided differently while the round is not
locked: the previous decision is undone first (`_undo`). A round whose rows are all decided is `held`; a
`locked` round refuses decisions until an admin unlocks it with a reason; each lock is kept as a version of
the signed berita acara (`MusyawarahLock`). Services flush only.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy.exc import IntegrityError

from server.audit.service import record, record_many
from server.auth.access import Actor, region_in_scope
from server.campaigns import queries as campaign_queries
from server.campaigns.models import Campaign
from server.errors import (
    FORBIDDEN,
    HOUSEHOLD_MERGED,
    MUSYAWARAH_BERITA_OUTDATED,
    MUSYAWARAH_LOCKED,
    MUSYAWARAH_STATE,
    NOT_FOUND,
    AppError,
    translate_integrity,
    validation_error,
)
from server.extensions import db
from server.files import atomic_open
from server.history import service as history
from server.history.queries import MEMBER_FIELDS
from server.households import queries as household_queries
from server.households.models import Household, Member
from server.households.queries import add_tombstone
from server.musyawarah import queries
from server.musyawarah.models import DECISIONS, SECTIONS, MusyawarahItem, MusyawarahLock, MusyawarahRound
from server.types import ChangeSource, Presence, RegistryStatus, TombstoneReason

# Sections whose rows settle proposed changes; their label for people (Indonesian / English).
SECTION_LABELS = {
    "tetap": ("Rumah tangga tetap", "Households confirmed"),
    "perbaikan": ("Perbaikan data", "Data corrections"),
    "hapus": ("Usulan penghapusan", "Proposed removals"),
    "anggota": ("Perubahan anggota", "Member changes"),
    "usulan_baru": ("Usulan baru", "Newly proposed households"),
    "inklusi": ("Kesalahan inklusi", "Inclusion errors"),
    "tanpa_bantuan": ("Layak tanpa bantuan", "Eligible without aid"),
}
REMOVAL_REASONS = {
    "deceased": "meninggal",
    "moved": "pindah",
    "not_found": "tidak ditemukan",
    "duplicate": "ganda",
    "merged": "ganda (bergabung)",
}
STATE_LABELS = {
    "open": ("Terbuka", "Open"),
    "ready": ("Siap (daftar dibuat)", "Ready (lists generated)"),
    "held": ("Sudah dimusyawarahkan", "Held"),
    "locked": ("Dikunci", "Locked"),
}
SCAN_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
HOUSEHOLD_FIELDS = ("registry_status", "merged_into_id", "address", "rt", "rw", "region_code")


# --- rounds -----------------------------------------------------------------------------------------------


def _check_kelurahan(actor: Actor, region_code: str) -> None:
    level, _name, _parent = queries.region_names(code=region_code)
    if level != "kelurahan":
        raise validation_error({"region_code": ["Bukan kode kelurahan / not a kelurahan code"]})
    if not region_in_scope(actor, region_code):
        raise AppError(NOT_FOUND)


def open_round(actor: Actor, campaign_id: int, region_code: str) -> MusyawarahRound:
    """The round of a kelurahan and campaign (created open when it does not exist yet)."""
    if db.session.get(Campaign, campaign_id) is None:
        raise validation_error({"campaign_id": ["Kampanye tidak ada / no such campaign"]})
    _check_kelurahan(actor, region_code)
    existing = queries.round_for(campaign_id=campaign_id, region_code=region_code)
    if existing is not None:
        return existing
    created = queries.add_round(campaign_id=campaign_id, region_code=region_code, created_by_id=actor.user_id)
    record(
        "musyawarah.open",
        object_type="musyawarah",
        object_id=created.id,
        changes={"campaign_id": campaign_id, "region_code": region_code},
    )
    return created


def require_round(actor: Actor | None, round_id: int, *, lock: bool = False) -> MusyawarahRound:
    found = queries.get_round(round_id=round_id, actor=actor, lock=lock)
    if found is None:
        raise AppError(NOT_FOUND)
    return found


def round_view(found: MusyawarahRound) -> dict[str, Any]:
    _level, kelurahan, kecamatan = queries.region_names(code=found.region_code)
    return {
        "id": found.id,
        "campaign_id": found.campaign_id,
        "region_code": found.region_code,
        "kelurahan": kelurahan,
        "kecamatan": kecamatan,
        "state": found.state,
        "version": found.version,
        "counts": found.counts or {},
        "package_job_id": found.package_job_id,
        "has_lists": bool(found.lists_key),
        "has_berita_acara": bool(found.berita_key),
        "has_scan": bool(found.scan_key),
        "scan_name": found.scan_name,
        "generated_at": found.generated_at,
        "held_at": found.held_at,
        "locked_at": found.locked_at,
        "created_at": found.created_at,
    }


def list_rounds(actor: Actor, *, campaign_id: int | None = None, region: str | None = None) -> list[dict]:
    return [
        {**round_view(row.MusyawarahRound), "kelurahan": row.kelurahan, "kecamatan": row.kecamatan}
        for row in queries.rounds(actor=actor, campaign_id=campaign_id, region=region)
    ]


def get_round_view(actor: Actor, round_id: int) -> dict[str, Any]:
    found = require_round(actor, round_id)
    return versioned_view(found)


def versioned_view(found: MusyawarahRound) -> dict[str, Any]:
    """The round with its rows per section and every signed version of its berita acara."""
    view = round_view(found)
    view["counts"] = queries.counts_of(round_id=found.id)
    locks = queries.locks_of(round_id=found.id)
    view["locks"] = [lock_view(signed) for signed in locks]
    view["berita_version"] = _berita_version(found, locks)
    return view


def lock_view(signed: MusyawarahLock) -> dict[str, Any]:
    return {
        "number": signed.number,
        "scan_name": signed.scan_name,
        "scan_sha256": signed.scan_sha256,
        "counts": signed.counts or {},
        "locked_at": signed.locked_at,
        "unlocked_at": signed.unlocked_at,
        "unlock_reason": signed.unlock_reason,
    }


def _berita_version(found: MusyawarahRound, locks: list[MusyawarahLock]) -> int:
    """The lock the berita acara is signed for: the current one while locked, else the next."""
    return len(locks) if found.state == "locked" else len(locks) + 1


def _refuse_locked(found: MusyawarahRound) -> None:
    if found.state == "locked":
        raise AppError(MUSYAWARAH_LOCKED, details={"state": found.state})


def _touch(found: MusyawarahRound, at: datetime) -> None:
    found.version = found.version + 1
    found.updated_at = at


# --- the lists' rows --------------------------------------------------------------------------------------


# The lists are Indonesian documents (the forum's language): fields and values in its words.
FIELD_WORDS = {
    "registry_status": "status registri",
    "merged_into_id": "digabung ke",
    "presence_status": "keberadaan",
    "address": "alamat",
    "rt": "RT",
    "rw": "RW",
    "region_code": "kelurahan",
    "head_name": "kepala keluarga",
    "kk_number": "No. KK",
    "name": "nama",
    "nik": "NIK",
    "sex": "jenis kelamin",
    "birth_date": "tanggal lahir",
    "relationship_code": "hubungan",
}
VALUE_WORDS = {
    "active": "aktif",
    "present": "ada",
    "moved": "pindah",
    "deceased": "meninggal",
    "not_found": "tidak ditemukan",
    "duplicate": "ganda",
    "merged": "digabung",
    "proposed": "usulan baru",
    "removed": "dihapus",
    "no_documents": "tanpa dokumen kependudukan",
}


def _summary(changes: list[Any], members: dict[uuid.UUID, Any]) -> str:
    """Words for a set of changes: 'status registri: aktif → meninggal; Ani: keberadaan ada → meninggal'."""
    parts = []
    for change in changes:
        who = ""
        if change.member_id is not None and change.member_id in members:
            who = f"{members[change.member_id].name}: "
        if change.field == history.MEMBER_CREATED:
            new = change.new_value or {}
            parts.append(f"anggota baru {new.get('name') or ''}".strip())
            continue
        if change.field == "merged_into_id":
            parts.append("digabung ke rumah tangga lain")
            continue
        field = FIELD_WORDS.get(change.field, change.field)
        parts.append(f"{who}{field}: {_short(change.old_value)} → {_short(change.new_value)}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return VALUE_WORDS.get(value, value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v is not None)
    return str(value)


INCLUSION_KINDS = {"dead": "meninggal", "moved": "pindah", "not_found": "tidak ditemukan", "duplicate": "ganda"}


def _aid_findings(actor: Actor | None, found: MusyawarahRound) -> list[dict[str, Any]]:
    """Inclusion errors (aid to a household or member found dead, moved, not found or duplicate, in the
    field or settled) and eligible households without aid, of the campaign's period, from the aid
    analytics (server/analytics/): one draft per household and section. Empty without a user (the
    analytics read is a user's, audited) or when the analytics cannot answer."""
    from server.analytics import service as analytics

    campaign = db.session.get(Campaign, found.campaign_id)
    if actor is None or campaign is None:
        return []
    drafts: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
    asks = [("inklusi", kind, label) for kind, label in INCLUSION_KINDS.items()]
    asks.append(("tanpa_bantuan", "gap", "layak, tanpa bantuan"))
    for section, kind, label in asks:
        try:
            rows, _total = analytics.drilldown(
                actor, campaign.period_start, campaign.period_end, kind, region=found.region_code, limit=None
            )
        except AppError:
            return []
        for row in rows:
            key = (section, uuid.UUID(row["household_id"]))
            draft = drafts.setdefault(
                key,
                {"section": section, "household_id": key[1], "visit_id": None, "changes": [], "reasons": [], "aid": ""},
            )
            if label not in draft["reasons"]:
                draft["reasons"].append(label)
            if row["programs"]:
                draft["aid"] = f"{', '.join(row['programs'])}; Rp {row['rupiah_period']:,}".replace(",", ".")
    for draft in drafts.values():
        draft["reason"] = ", ".join(draft.pop("reasons"))
    return list(drafts.values())


def build_items(found: MusyawarahRound, actor: Actor | None = None) -> dict[str, int]:
    """(Re)build the round's rows from the findings: rows already decided stay, undecided ones are built
    again, and a finding a decided row covers is not listed twice. Returns the rows per section."""
    queries.delete_undecided_items(round_id=found.id)
    decided = queries.decided_items(round_id=found.id)
    covered_changes = {change_id for item in decided for change_id in (item.change_ids or [])}
    covered_keys = {(item.section, item.household_id, item.visit_id) for item in decided}
    # a household the forum took in as usulan baru is not listed again as confirmed by the same visit
    covered_keys |= {("tetap", item.household_id, item.visit_id) for item in decided if item.section == "usulan_baru"}
    drafts: list[dict[str, Any]] = []

    # proposals waiting for the forum, per household and source (one visit's findings = one row)
    groups: dict[tuple[uuid.UUID, str | None], list[Any]] = {}
    for change in queries.pending_proposals(region_code=found.region_code):
        if change.id not in covered_changes:
            groups.setdefault((change.household_id, change.source_id), []).append(change)
    for (household_id, source_id), changes in groups.items():
        status = next((c for c in changes if c.member_id is None and c.field == "registry_status"), None)
        if status is not None and status.new_value == RegistryStatus.ACTIVE.value:
            section, reason = "usulan_baru", None
        elif status is not None:
            section, reason = "hapus", REMOVAL_REASONS.get(status.new_value, status.new_value)
        else:
            section, reason = "anggota", None
        drafts.append(
            {
                "section": section,
                "household_id": household_id,
                "visit_id": _uuid(source_id),
                "changes": changes,
                "reason": reason,
            }
        )

    # corrections applied at review, per visit
    corrections: dict[tuple[uuid.UUID, str | None], list[Any]] = {}
    for change in queries.review_corrections(region_code=found.region_code, campaign_id=found.campaign_id):
        if change.id not in covered_changes:
            corrections.setdefault((change.household_id, change.source_id), []).append(change)
    for (household_id, source_id), changes in corrections.items():
        drafts.append(
            {
                "section": "perbaikan",
                "household_id": household_id,
                "visit_id": _uuid(source_id),
                "changes": changes,
                "reason": None,
            }
        )

    # households confirmed in the field
    for visit in queries.confirmed_visits(region_code=found.region_code, campaign_id=found.campaign_id):
        drafts.append(
            {
                "section": "tetap",
                "household_id": visit.household_id,
                "visit_id": visit.id,
                "changes": [],
                "reason": None,
            }
        )

    drafts += _aid_findings(actor, found)
    drafts = [d for d in drafts if (d["section"], d["household_id"], d["visit_id"]) not in covered_keys]
    households = queries.household_facts(ids=sorted({d["household_id"] for d in drafts}, key=str))
    evidence = queries.visit_evidence(ids=sorted({d["visit_id"] for d in drafts if d["visit_id"]}, key=str))
    member_ids = {c.member_id for d in drafts for c in d["changes"] if c.member_id}
    members = queries.member_facts(ids=sorted(member_ids, key=str))
    rows = []
    for draft in drafts:
        household = households.get(draft["household_id"])
        if household is None:
            continue
        changes = draft["changes"]
        member = None
        if draft["section"] == "anggota":
            member_changes = [c for c in changes if c.member_id]
            if len(member_changes) == len(changes) and len({c.member_id for c in member_changes}) == 1:
                member = members.get(member_changes[0].member_id)
        seen = evidence.get(str(draft["visit_id"])) if draft["visit_id"] else None
        rows.append(
            {
                "round_id": found.id,
                "section": draft["section"],
                "household_id": draft["household_id"],
                "member_id": member.id if member else None,
                "visit_id": draft["visit_id"],
                "change_ids": [c.id for c in changes],
                "rw": household.rw,
                "rt": household.rt,
                "evidence": {
                    "registry_id": household.registry_id,
                    "kk_number": household.kk_number,
                    "nik": member.nik if member else household.head_nik,
                    "name": household.head_name,
                    "member_name": member.name if member else None,
                    "address": household.address,
                    "change": draft.get("aid") or _summary(changes, members),
                    "reason": draft["reason"],
                    **(seen or {}),
                },
            }
        )
    queries.add_items(rows=rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["section"]] = counts.get(row["section"], 0) + 1
    for item in decided:
        counts[item.section] = counts.get(item.section, 0) + 1
    return counts


def _uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def items_view(actor: Actor, round_id: int, *, section: str | None = None) -> list[dict[str, Any]]:
    found = require_round(actor, round_id)
    items = queries.items_of(round_id=found.id, section=section)
    record(
        "musyawarah.read_items",
        object_type="musyawarah",
        object_id=found.id,
        changes={"section": section, "rows": len(items)},
    )
    return [item_view(item) for item in items]


def item_view(item: MusyawarahItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "section": item.section,
        "household_id": item.household_id,
        "member_id": item.member_id,
        "visit_id": item.visit_id,
        "rw": item.rw,
        "rt": item.rt,
        "evidence": item.evidence or {},
        "change_ids": list(item.change_ids or []),
        "decision": item.decision,
        "remarks": item.remarks,
        "decided_at": item.decided_at,
    }


# --- the package (lists + berita acara) as a job ----------------------------------------------------------

PACKAGE = "musyawarah.package"


def request_package(actor: Actor, round_id: int) -> Any:
    """Queue the job that builds the rows and writes the lists (XLSX) and the berita acara (PDF)."""
    from server.jobs import service as jobs

    found = require_round(actor, round_id, lock=True)
    _refuse_locked(found)
    job = jobs.enqueue(PACKAGE, {"round_id": found.id}, actor=actor)
    found.package_job_id = job.id
    return job


def generate_package(actor: Actor | None, round_id: int, job_id: uuid.UUID, progress=None) -> dict[str, Any]:
    """The job's work: rows rebuilt, XLSX and PDF written into the job store, round `ready`."""
    from server.jobs.storage import job_store
    from server.musyawarah import berita, lists

    found = require_round(actor, round_id, lock=True)
    _refuse_locked(found)
    at = datetime.now(UTC)
    if progress:
        progress("building")
    counts = build_items(found, actor)
    store = job_store()
    _level, kelurahan, kecamatan = queries.region_names(code=found.region_code)
    items = queries.items_of(round_id=found.id)
    campaign = db.session.get(Campaign, found.campaign_id)
    locks = queries.locks_of(round_id=found.id)
    version = _berita_version(found, locks)
    context = {
        "round": found,
        "kelurahan": kelurahan,
        "kecamatan": kecamatan,
        "campaign": campaign.name if campaign else "",
        "generated_at": at,
        "version": version,
        "replaces": locks[-1] if locks else None,  # the signed version this one replaces, after an unlock
    }
    if progress:
        progress("lists")
    lists_name = f"daftar-musyawarah-{found.region_code}.xlsx"
    berita_name = f"berita-acara-{found.region_code}.pdf"
    # Kept beside the round (musyawarah/<round id>/, then v2/, v3/ … after unlocks), not among job results,
    # which are pruned after days: each signed version's lists and berita acara stay as the forum saw them.
    folder = f"musyawarah/{found.id}" + (f"/v{version}" if version > 1 else "")
    lists_key, berita_key = f"{folder}/{lists_name}", f"{folder}/{berita_name}"
    with atomic_open(store.path(lists_key)) as out:
        lists.write_lists(out, items, context)
    if progress:
        progress("berita_acara")
    section_counts = queries.counts_of(round_id=found.id)
    with atomic_open(store.path(berita_key)) as out:
        out.write(berita.berita_acara_pdf({**context, "counts": section_counts, "lists_name": lists_name}))
    found.lists_key, found.berita_key = lists_key, berita_key
    found.generated_at = at
    found.counts = counts
    undecided = sum(c["rows"] - c["decided"] for c in section_counts.values())
    if found.state == "open" or (found.state == "held" and undecided):
        found.state = "ready"
    _touch(found, at)
    record(
        "musyawarah.package",
        object_type="musyawarah",
        object_id=found.id,
        changes={"rows": counts, "state": found.state},
        actor_username=None if actor else "system",
    )
    return {"round_id": found.id, "rows": counts, "lists": lists_name, "berita_acara": berita_name}


def package_file(actor: Actor, round_id: int, what: str) -> tuple[str, str, str]:
    """(path, download name, media type) of the round's lists, berita acara or signed scan; audited."""
    from server.jobs.storage import job_store

    found = require_round(actor, round_id)
    key = {"lists": found.lists_key, "berita_acara": found.berita_key, "scan": found.scan_key}[what]
    if not key:
        raise AppError(NOT_FOUND)
    path = job_store().path(key)
    if not path.exists():
        raise AppError(NOT_FOUND)
    media = {
        "lists": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "berita_acara": "application/pdf",
        "scan": found.scan_media_type or "application/octet-stream",
    }[what]
    name = found.scan_name if what == "scan" else path.name
    record("musyawarah.download", object_type="musyawarah", object_id=found.id, changes={"file": what})
    return str(path), name or path.name, media


# --- decisions --------------------------------------------------------------------------------------------


def record_decisions(
    actor: Actor, round_id: int, decisions: list[dict[str, Any]], *, via: str = "page"
) -> dict[str, Any]:
    """The forum's decisions [{item_id, decision, remarks}] on a round's rows; each is applied at once.

    A row decided before may be decided differently while the round is not locked (after an admin's unlock
    too): what its previous decision did is undone first (`_undo`), then the new one applied; the same
    decision with the same remarks again changes nothing. An unknown row, or one the registry refuses (e.g.
    a merge into a household merged meanwhile), is reported per row and the others go on. Returns counts
    (decided, changed, unchanged, refused), per-row results and the round's state."""
    found = require_round(actor, round_id, lock=True)
    _refuse_locked(found)
    if found.state == "open":
        raise AppError(MUSYAWARAH_STATE, details={"state": found.state})
    errors: dict[str, list[str]] = {}
    for index, entry in enumerate(decisions):
        if entry.get("decision") not in DECISIONS:
            errors[f"decisions.{index}.decision"] = ["setuju / tidak_setuju"]
        elif entry["decision"] == "tidak_setuju" and not (entry.get("remarks") or "").strip():
            errors[f"decisions.{index}.remarks"] = ["Alasan wajib bila tidak setuju / a reason is required to overturn"]
    if errors:
        raise validation_error(errors)
    at = datetime.now(UTC)
    items = queries.lock_items(round_id=found.id, ids=[int(entry["item_id"]) for entry in decisions])
    results = []
    counts = {"decided": 0, "changed": 0, "unchanged": 0, "refused": 0}
    audit: list[tuple[Any, dict]] = []
    for entry in decisions:
        item = items.get(int(entry["item_id"]))
        remarks = (entry.get("remarks") or "").strip() or None
        previous = item.decision if item is not None else None
        if item is None:
            outcome: dict[str, Any] = {"status": "refused", "code": NOT_FOUND.code}
        elif previous == entry["decision"] and (item.remarks or None) == remarks:
            outcome = {"status": "unchanged"}
        else:
            try:
                with db.session.begin_nested():
                    if previous is not None:
                        _undo(actor, item, remarks, at)
                    effect = _apply(actor, item, entry["decision"], remarks, at)
                outcome = {"status": "changed" if previous else "decided", **effect}
            except IntegrityError as error:
                outcome = {"status": "refused", "code": translate_integrity(error).kind.code}
            except AppError as error:
                outcome = {"status": "refused", "code": error.kind.code}
        counts[outcome["status"]] += 1
        if outcome["status"] in ("decided", "changed"):
            audit.append(
                (
                    item.id,
                    {
                        "round_id": found.id,
                        "section": item.section,
                        "decision": item.decision,
                        "previous": previous,
                        "remarks": item.remarks,
                        "household_id": str(item.household_id),
                        "via": via,
                        "changes": outcome.get("changes", 0),
                    },
                )
            )
        results.append({"item_id": int(entry["item_id"]), **outcome})
    record_many("musyawarah.decide", object_type="musyawarah_item", entries=audit)
    section_counts = queries.counts_of(round_id=found.id)
    undecided = sum(c["rows"] - c["decided"] for c in section_counts.values())
    if audit:
        if undecided == 0 and found.state == "ready":
            found.state = "held"
            found.held_at = at
            record("musyawarah.held", object_type="musyawarah", object_id=found.id, changes={"via": via})
        _touch(found, at)
        from server.analytics.service import request_refresh

        request_refresh(actor)  # settled removals move the inclusion figures
    return {"counts": counts, "results": results, "state": found.state, "undecided": undecided}


def decide_all(actor: Actor, round_id: int, decision: str, *, section: str | None, remarks: str | None) -> dict:
    """The same decision on every undecided row (of one section)."""
    if section is not None and section not in SECTIONS:
        raise validation_error({"section": [f"one of {', '.join(SECTIONS)}"]})
    found = require_round(actor, round_id)
    items = queries.items_of(round_id=found.id, section=section, undecided=True)
    entries = [{"item_id": item.id, "decision": decision, "remarks": remarks} for item in items]
    return record_decisions(actor, round_id, entries, via="bulk")


def import_decisions(actor: Actor, round_id: int, source: IO[bytes]) -> dict[str, Any]:
    """The lists' XLSX with its decision column filled in: every row with a decision is recorded."""
    from server.musyawarah import lists

    found = require_round(actor, round_id)
    entries, problems = lists.read_decisions(source)
    if problems and not entries:
        raise validation_error({"file": problems[:20]})
    outcome = (
        record_decisions(actor, found.id, entries, via="xlsx")
        if entries
        else {
            "counts": {"decided": 0, "refused": 0},
            "results": [],
            "state": found.state,
            "undecided": None,
        }
    )
    outcome["problems"] = problems
    return outcome


def _apply(actor: Actor, item: MusyawarahItem, decision: str, remarks: str | None, at: datetime) -> dict[str, Any]:
    """What one row's decision does to the registry (see the module's docstring)."""
    item.decision, item.remarks, item.decided_by_id, item.decided_at = decision, remarks, actor.user_id, at
    if not item.change_ids:
        return {"changes": 0}
    changes = queries.changes(ids=list(item.change_ids))
    if item.section == "perbaikan":
        if decision == "setuju":
            return {"changes": 0}
        return _revert(actor, item, [c for c in changes if c.state == "applied"], remarks, at)
    proposed = [c for c in changes if c.state == "proposed"]
    if decision == "setuju":
        return _accept(actor, item, proposed, remarks, at)
    return _overturn(actor, item, proposed, remarks, at)


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _accept(actor: Actor, item: MusyawarahItem, changes: list, remarks: str | None, at: datetime) -> dict:
    # A merge locks both households in one order (as the staff merge and `_restore` do): never a deadlock.
    target = next((_uuid(c.new_value) for c in changes if c.field == "merged_into_id" and c.member_id is None), None)
    locked = {
        household_id: queries.lock_household(household_id=household_id)
        for household_id in sorted({item.household_id, target} - {None}, key=str)
    }
    household = locked[item.household_id]
    if household is None:
        raise AppError(NOT_FOUND)
    members = queries.members_of(household_id=household.id)
    version = household.version + 1
    created = 0
    # Presence changes before new members: a head who died frees the place of a new head.
    for change in sorted(changes, key=lambda c: (c.field == history.MEMBER_CREATED, c.id)):
        if change.member_id is None and change.field == history.MEMBER_CREATED:
            new = change.new_value or {}
            member = Member(
                household_id=household.id,
                name=new.get("name") or "-",
                nik=new.get("nik"),
                sex=new.get("sex") or 1,
                birth_date=datetime.fromisoformat(new["birth_date"]).date() if new.get("birth_date") else None,
                birth_place=new.get("birth_place"),
                relationship_code=new.get("relationship_code") or 8,
                presence_status=Presence.PRESENT,
            )
            db.session.add(member)
            db.session.flush()
            queries.set_change_member(change_id=change.id, member_id=member.id)
            created += 1
        elif change.member_id is None:
            if change.field == "merged_into_id":
                household.merged_into_id = _uuid(change.new_value)
            elif change.field == "registry_status":
                household.registry_status = RegistryStatus(change.new_value)
            elif change.field in HOUSEHOLD_FIELDS:
                setattr(household, change.field, change.new_value)
        else:
            member = members.get(change.member_id)
            if member is None:
                continue
            if change.field == "presence_status":
                member.presence_status = Presence(change.new_value)
            else:
                setattr(member, change.field, change.new_value)
            member.updated_at = at
    household.version = version
    household.updated_at = at
    status = _value(household.registry_status)
    folded: dict[str, int] = {}
    if status in (RegistryStatus.MERGED.value, RegistryStatus.DUPLICATE.value) and household.merged_into_id:
        add_tombstone(household_id=household.id, reason=TombstoneReason.MERGED, merged_into_id=household.merged_into_id)
        folded = _fold(actor, item, household, at)
    db.session.flush()
    queries.mark_changes(
        ids=[c.id for c in changes],
        state="accepted",
        from_states=("proposed",),
        version=version,
        actor_id=actor.user_id,
        at=at,
        reason=remarks,
    )
    record(
        "household.settle",
        object_type="household",
        object_id=household.id,
        changes={"musyawarah_item": item.id, "accepted": len(changes), "registry_status": status},
    )
    return {"changes": len(changes), "household_version": version, "members_created": created, **folded}


def _fold(actor: Actor, item: MusyawarahItem, source: Household, at: datetime) -> dict[str, int]:
    """A settled merge or duplicate: the source's present members join the household it is merged into (as a
    staff merge does: members the target already lists by NIK stay behind, and a moving head
    becomes 'other' (8) when the target has a present head), the source is marked `merged` and its
    assignments end (phones drop it), both sides' change history records the move, and the target's version
    bumps so phones pull its new members."""
    db.session.flush()  # the source's own settled values first: the move below is set-based SQL
    target = queries.lock_household(household_id=source.merged_into_id)
    if target is None or target.id == source.id or _value(target.registry_status) == RegistryStatus.MERGED.value:
        raise AppError(HOUSEHOLD_MERGED, details={"merged_into_id": str(source.merged_into_id)})
    moving = household_queries.members_moving(loser_id=source.id, survivor_id=target.id, present_only=True)
    target_has_head = any(
        member.relationship_code == 1 and _value(member.presence_status) == Presence.PRESENT.value
        for member in queries.members_of(household_id=target.id).values()
    )
    fields = {
        member.id: {name: history.json_value(getattr(member, name)) for name in MEMBER_FIELDS} for member in moving
    }
    moved = household_queries.move_members(loser=source, survivor=target, present_only=True)
    for member in moving:
        db.session.expire(member)
    target.version = target.version + 1
    target.updated_at = at
    ended = campaign_queries.end_all_assignments(household_id=source.id, at=at)  # phones drop it (tombstone)
    written = {"source": ChangeSource.MUSYAWARAH, "source_id": item.id, "actor_id": actor.user_id, "at": at}
    rows: list[dict[str, Any]] = []
    for member_id, values in fields.items():
        rows += history.applied_rows(
            source.id,
            {history.MEMBER_LEFT: (values, {"household_id": str(target.id)})},
            member_id=member_id,
            version=source.version,
            **written,
        )
        joined = {history.MEMBER_JOINED: ({"household_id": str(source.id)}, values)}
        if target_has_head and values["relationship_code"] == 1:
            joined["relationship_code"] = (1, 8)
        rows += history.applied_rows(target.id, joined, member_id=member_id, version=target.version, **written)
    if _value(source.registry_status) == RegistryStatus.DUPLICATE.value:
        source.registry_status = RegistryStatus.MERGED
        rows += history.applied_rows(
            source.id,
            {"registry_status": (RegistryStatus.DUPLICATE.value, RegistryStatus.MERGED.value)},
            version=source.version,
            **written,
        )
    history.add_rows(rows)
    record(
        "household.merge",
        object_type="household",
        object_id=source.id,
        changes={
            "merged_into_id": str(target.id),
            "musyawarah_item": item.id,
            "assignments_ended": ended,
            **moved,
        },
    )
    return {
        "members_moved": moved["members_moved"],
        "heads_demoted": moved["heads_demoted"],
        "target_version": target.version,
    }


def _overturn(actor: Actor, item: MusyawarahItem, changes: list, remarks: str | None, at: datetime) -> dict:
    queries.mark_changes(
        ids=[c.id for c in changes],
        state="overturned",
        from_states=("proposed",),
        version=None,
        actor_id=actor.user_id,
        at=at,
        reason=remarks,
    )
    version = None
    if item.section == "usulan_baru":
        # A household proposed in the field that the forum does not accept leaves the lists and the phones.
        household = queries.lock_household(household_id=item.household_id)
        if household is not None and _value(household.registry_status) == RegistryStatus.PROPOSED.value:
            household.registry_status = RegistryStatus.REMOVED
            household.version = version = household.version + 1
            household.updated_at = at
            add_tombstone(household_id=household.id, reason=TombstoneReason.REMOVED, merged_into_id=None)
            history.add_rows(
                history.applied_rows(
                    household.id,
                    {"registry_status": (RegistryStatus.PROPOSED.value, RegistryStatus.REMOVED.value)},
                    version=version,
                    source=ChangeSource.MUSYAWARAH,
                    source_id=item.id,
                    actor_id=actor.user_id,
                    at=at,
                )
            )
    record(
        "household.overturn",
        object_type="household",
        object_id=item.household_id,
        changes={"musyawarah_item": item.id, "overturned": len(changes), "reason": remarks},
    )
    return {"changes": len(changes), **({"household_version": version} if version else {})}


def _revert(actor: Actor, item: MusyawarahItem, changes: list, remarks: str | None, at: datetime) -> dict:
    """Corrections the forum does not accept: old values back, rows `reverted`, the undoing recorded."""
    changes = [c for c in changes if c.field not in ("location", "house_condition")]  # not ruled on by value
    if not changes:
        return {"changes": 0}
    written, versions = _restore(actor, item, changes, remarks, at)
    record(
        "household.revert",
        object_type="household",
        object_id=item.household_id,
        changes={"musyawarah_item": item.id, "reverted": len(written), "reason": remarks},
    )
    return {"changes": len(written), "household_version": versions[item.household_id]}


# Sections whose rows settle proposed changes (a changed decision decides fresh copies of them).
PROPOSAL_SECTIONS = ("hapus", "anggota", "usulan_baru")


def _undo(actor: Actor, item: MusyawarahItem, remarks: str | None, at: datetime) -> None:
    """Before a row is decided differently: what its previous decision did is undone and the row made ready
    for the new one. Its effects are the proposals it accepted and the musyawarah changes it wrote (a
    correction's reversal, a fold's member moves, a field proposal's removal); they are restored
    (`_restore`), and the undoing rows join the row's changes (they are its new starting point, not a
    decision's effect). A row that settles proposals gets fresh `proposed` copies of the ones decided (same
    source), which the new decision accepts or overturns: the history keeps every decision ever taken."""
    current = queries.changes(ids=list(item.change_ids or []))
    effects = [c for c in current if _value(c.state) == "accepted"]
    effects += queries.decision_rows(item_id=item.id, exclude=[c.id for c in current])
    undone: list[int] = []
    if effects:
        undone, _versions = _restore(actor, item, effects, remarks, at)
        if any(c.field == "merged_into_id" for c in effects) and item.decided_at is not None:
            queries.reopen_assignments(household_id=item.household_id, ended_at=item.decided_at)
    kept = [c.id for c in current]
    if item.section in PROPOSAL_SECTIONS:
        decided = [c for c in current if _value(c.source_kind) != ChangeSource.MUSYAWARAH.value]
        copies: list[dict[str, Any]] = []
        for change in decided:
            copies += history.proposed_rows(
                change.household_id,
                {change.field: (change.old_value, change.new_value)},
                source=ChangeSource(_value(change.source_kind)),
                source_id=change.source_id,
                member_id=None if change.field == history.MEMBER_CREATED else change.member_id,
                at=at,
            )
        kept = [c.id for c in current if _value(c.source_kind) == ChangeSource.MUSYAWARAH.value]
        kept += history.add_rows(copies, returning=True)
    item.change_ids = kept + undone
    item.decision = item.remarks = item.decided_by_id = item.decided_at = None
    db.session.flush()


def _typed(field: str, value: Any) -> Any:
    """A value from the change history as the model holds it."""
    if value is None:
        return None
    if field == "registry_status":
        return RegistryStatus(value)
    if field == "presence_status":
        return Presence(value)
    if field == "merged_into_id":
        return uuid.UUID(str(value))
    if field == "birth_date" and isinstance(value, str):
        return datetime.fromisoformat(value).date()
    return value


def _restore(
    actor: Actor, item: MusyawarahItem, changes: list, reason: str | None, at: datetime
) -> tuple[list[int], dict[uuid.UUID, int]]:
    """Undo changes that took effect, newest first: old values back (a member who moved goes back to the
    household it left; a member created is no longer listed), the rows `reverted`, the undoing written as
    `applied` musyawarah changes, each household touched one version up. Returns the undoing rows' ids and
    the households' new versions."""
    household_ids = sorted({c.household_id for c in changes}, key=str)
    households = {household_id: queries.lock_household(household_id=household_id) for household_id in household_ids}
    members: dict[uuid.UUID, Member] = {}
    versions: dict[uuid.UUID, int] = {}
    for household_id, household in households.items():
        if household is None:
            raise AppError(NOT_FOUND)
        members |= queries.members_of(household_id=household_id)
        versions[household_id] = household.version + 1
    rows: list[dict[str, Any]] = []

    def undoing(household_id: uuid.UUID, diff: dict[str, tuple[Any, Any]], member_id: uuid.UUID | None) -> None:
        nonlocal rows
        rows += history.applied_rows(
            household_id,
            diff,
            member_id=member_id,
            version=versions[household_id],
            source=ChangeSource.MUSYAWARAH,
            source_id=item.id,
            actor_id=actor.user_id,
            at=at,
        )

    for change in sorted(changes, key=lambda c: c.id, reverse=True):
        member = members.get(change.member_id) if change.member_id else None
        if change.field == history.MEMBER_JOINED:
            continue  # undone with the `member_left` row of the same move
        if change.field == history.MEMBER_LEFT and member is not None:
            joined = uuid.UUID(change.new_value["household_id"])
            fields = {name: history.json_value(getattr(member, name)) for name in MEMBER_FIELDS}
            member.household_id = change.household_id
            member.updated_at = at
            undoing(change.household_id, {history.MEMBER_JOINED: ({"household_id": str(joined)}, fields)}, member.id)
            undoing(joined, {history.MEMBER_LEFT: (fields, {"household_id": str(change.household_id)})}, member.id)
            continue
        if change.field == history.MEMBER_CREATED:
            if member is not None:
                undoing(
                    change.household_id, {"presence_status": (_value(member.presence_status), "removed")}, member.id
                )
                member.presence_status = Presence.REMOVED
                member.updated_at = at
            continue
        target = households[change.household_id] if change.member_id is None else member
        if target is None:
            continue
        setattr(target, change.field, _typed(change.field, change.old_value))
        undoing(change.household_id, {change.field: (change.new_value, change.old_value)}, change.member_id)
    for household_id, household in households.items():
        household.version = versions[household_id]
        household.updated_at = at
    db.session.flush()
    queries.mark_changes(
        ids=[c.id for c in changes],
        state="reverted",
        from_states=("applied", "accepted"),
        version=None,
        actor_id=actor.user_id,
        at=at,
        reason=reason,
    )
    return history.add_rows(rows, returning=True), versions


# --- locking ----------------------------------------------------------------------------------------------


def lock(actor: Actor, round_id: int, *, filename: str, media_type: str, source: IO[bytes]) -> MusyawarahRound:
    """The signed berita acara's scan (PDF, JPEG or PNG) is kept and the round locked."""
    from server.jobs.storage import job_store

    found = require_round(actor, round_id, lock=True)
    _refuse_locked(found)
    if found.state != "held":
        raise AppError(MUSYAWARAH_STATE, details={"state": found.state, "needed": "held"})
    locks = queries.locks_of(round_id=found.id)
    if locks and _needs_new_berita(found, locks[-1]):
        raise AppError(MUSYAWARAH_BERITA_OUTDATED, details={"state": found.state, "needed": "package"})
    extension = SCAN_TYPES.get(media_type)
    data = source.read()
    if extension is None or not data or not _looks_like(extension, data):
        raise validation_error({"file": ["PDF, JPEG atau PNG / a PDF, JPEG or PNG scan"]})
    at = datetime.now(UTC)
    key = f"musyawarah/{found.id}/scan-{at:%Y%m%dT%H%M%S}.{extension}"
    store = job_store()
    with atomic_open(store.path(key)) as out:
        out.write(data)
    found.scan_key, found.scan_media_type = key, media_type
    found.scan_name = (filename or f"berita-acara.{extension}")[-200:]
    found.scan_sha256 = hashlib.sha256(data).hexdigest()
    found.state, found.locked_at, found.locked_by_id = "locked", at, actor.user_id
    number = len(locks) + 1
    queries.add_lock(
        MusyawarahLock(
            round_id=found.id,
            number=number,
            berita_key=found.berita_key,
            counts=queries.counts_of(round_id=found.id),
            scan_key=key,
            scan_name=found.scan_name,
            scan_media_type=media_type,
            scan_sha256=found.scan_sha256,
            locked_at=at,
            locked_by_id=actor.user_id,
        )
    )
    _touch(found, at)
    record(
        "musyawarah.lock",
        object_type="musyawarah",
        object_id=found.id,
        changes={"version": number, "scan_sha256": found.scan_sha256, "bytes": len(data), "media_type": media_type},
    )
    return found


def _needs_new_berita(found: MusyawarahRound, last: MusyawarahLock) -> bool:
    """A re-lock after decisions were taken again signs a berita acara generated after the unlock (its next
    version, which names the one it replaces); an unlock that changed no decision (a wrong scan) is locked
    again with the berita acara as it is."""
    reopened = last.unlocked_at or last.locked_at
    decided = queries.last_decided_at(round_id=found.id)
    if decided is None or decided <= reopened:
        return False
    return found.generated_at is None or found.generated_at < reopened


def _looks_like(extension: str, data: bytes) -> bool:
    return {
        "pdf": data.startswith(b"%PDF-"),
        "jpg": data.startswith(b"\xff\xd8\xff"),
        "png": data.startswith(b"\x89PNG\r\n\x1a\n"),
    }[extension]


def unlock(actor: Actor, round_id: int, reason: str) -> MusyawarahRound:
    """An admin reopens a locked round with a reason (back to held: decisions can be changed, the package
    regenerated as the berita acara's next version, and a new scan uploaded to lock it again)."""
    if not actor.is_admin:
        raise AppError(FORBIDDEN)
    found = require_round(actor, round_id, lock=True)
    if found.state != "locked":
        raise AppError(MUSYAWARAH_STATE, details={"state": found.state, "needed": "locked"})
    if not (reason or "").strip():
        raise validation_error({"reason": ["Alasan wajib / a reason is required"]})
    at = datetime.now(UTC)
    found.state, found.locked_at, found.locked_by_id = "held", None, None
    locks = queries.locks_of(round_id=found.id)
    if locks:
        locks[-1].unlocked_at, locks[-1].unlocked_by_id, locks[-1].unlock_reason = at, actor.user_id, reason.strip()
    _touch(found, at)
    record("musyawarah.unlock", object_type="musyawarah", object_id=found.id, changes={"reason": reason.strip()})
    return found
