"""Words for the codes the pages show (statuses, flags, roles), in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from server.staff.formats import NONE, label

VERIFICATION = {
    "unverified": _l("belum dikunjungi"),
    "visited": _l("menunggu tinjauan"),
    "approved": _l("disetujui"),
    "rejected": _l("ditolak"),
    "revisit": _l("kunjungi ulang"),
}
REVIEW = {
    "pending": _l("menunggu tinjauan"),
    "approved": _l("disetujui"),
    "rejected": _l("ditolak"),
    "revisit": _l("kunjungi ulang"),
    "superseded": _l("digantikan"),
}
REGISTRY = {
    "active": _l("aktif"),
    "moved": _l("pindah"),
    "deceased": _l("meninggal"),
    "not_found": _l("tidak ditemukan"),
    "duplicate": _l("ganda"),
    "merged": _l("digabung"),
    "proposed": _l("usulan baru"),
    "removed": _l("dihapus"),
}
FLAGS = {
    "nik_duplicate": _l("NIK tercatat di keluarga lain"),
    "outside_kelurahan": _l("titik di luar kelurahan"),
}
RECEIPT = {
    "listed": _l("terdaftar"),
    "disbursed": _l("tersalurkan"),
    "suspended": _l("ditangguhkan"),
    "not_received": _l("tidak diterima"),
}


def word(table: dict, code) -> str:
    if code is None:
        return NONE
    code = getattr(code, "value", code)
    return str(table.get(code, code))


def status_label(code) -> str:
    return word(VERIFICATION, code) if code in VERIFICATION else word(REVIEW, code)


GLOBALS = {
    "status_label": status_label,
    "registry_label": lambda code: word(REGISTRY, code),
    "flag_label": lambda code: word(FLAGS, code),
    "receipt_label": lambda code: word(RECEIPT, code),
    "review_label": lambda code: word(REVIEW, code),
    "VERIFICATION": VERIFICATION,
    "REGISTRY": REGISTRY,
    "FLAG_WORDS": FLAGS,
}


PRESENCE = {
    "present": _l("ada"),
    "not_found": _l("tidak ditemukan"),
    "moved": _l("pindah"),
    "deceased": _l("meninggal"),
    "duplicate": _l("ganda"),
    "no_documents": _l("tanpa dokumen kependudukan"),
    "new": _l("anggota baru"),
    "removed": _l("dihapus dari registri"),
}
SEX = {1: _l("laki-laki"), 2: _l("perempuan")}
FIELDS = {
    "head_name": _l("Kepala keluarga"),
    "kk_number": _l("No. KK"),
    "address": _l("Alamat"),
    "rt": "RT",
    "rw": "RW",
    "region_code": _l("Kelurahan"),
    "registry_id": _l("ID registri"),
    "merged_into_id": _l("Digabung ke"),
    "member": _l("Anggota baru"),
    "member_joined": _l("Anggota masuk"),
    "member_left": _l("Anggota keluar"),
    "birth_place": _l("Tempat lahir"),
    "decile": _l("Desil"),
    "registry_status": _l("Status registri"),
    "location": _l("Titik lokasi"),
    "name": _l("Nama"),
    "nik": "NIK",
    "sex": _l("Jenis kelamin"),
    "birth_date": _l("Tanggal lahir"),
    "relationship_code": _l("Hubungan"),
    "presence_status": _l("Keberadaan"),
    "house_condition": _l("Kondisi rumah"),
}
# A house condition's parts, as the phone's form names them (pwa/src/i18n.js hc_*).
HOUSE_PARTS = {
    "floor_area": _l("Luas lantai (m²)"),
    "ownership": _l("Status kepemilikan"),
    "floor": _l("Lantai"),
    "wall": _l("Dinding"),
    "roof": _l("Atap"),
    "water": _l("Sumber air minum"),
    "lighting": _l("Penerangan"),
    "cooking_fuel": _l("Bahan bakar memasak"),
    "toilet": _l("Jamban"),
}
SOURCES = {
    "import": _l("impor registri"),
    "staff_edit": _l("diubah staf"),
    "review": _l("hasil tinjauan"),
    "musyawarah": _l("musyawarah kelurahan"),
    "merge": _l("penggabungan"),
}
CHANGE_STATES = {
    "applied": _l("berlaku"),
    "proposed": _l("diusulkan"),
    "accepted": _l("diterima"),
    "overturned": _l("dibatalkan musyawarah"),
    "reverted": _l("dikembalikan"),
}


IMPORT_COUNTS = {
    "rows_total": _l("baris dalam berkas"),
    "rows_blank": _l("baris kosong"),
    "rows_accepted": _l("baris diterima"),
    "rows_rejected": _l("baris ditolak"),
    "households_total": _l("rumah tangga dalam berkas"),
    "households_accepted": _l("rumah tangga diterima"),
    "households_rejected": _l("rumah tangga ditolak"),
    "rows_without_household_id": _l("baris tanpa ID rumah tangga"),
    "warnings": _l("peringatan"),
    "households_inserted": _l("rumah tangga baru"),
    "households_updated": _l("rumah tangga diperbarui"),
    "members_inserted": _l("anggota baru"),
    "heads_replaced": _l("kepala keluarga diganti"),
    "settled_conflicts": _l("konflik terselesaikan"),
    "locked_conflicts": _l("konflik tertahan"),
    "members_updated": _l("anggota diperbarui"),
    "members_removed": _l("anggota dihapus dari registri"),
    # Aid lists
    "exact_matches": _l("cocok persis (NIK / No. KK)"),
    "receipts_inserted": _l("bantuan dicatat baru"),
    "receipts_updated": _l("bantuan diperbarui"),
    "receipts_unchanged": _l("bantuan tidak berubah"),
    "paid_again_in_file": _l("dibayar lebih dari sekali dalam berkas"),
    "not_in_registry": _l("tidak ada di registri"),
    "invalid_nik": _l("NIK tidak valid"),
    "unmatched": _l("tidak cocok persis"),
    "proposals_created": _l("usulan pencocokan baru"),
    "proposals_already_open": _l("usulan yang sudah menunggu"),
    # A bulk review decision's job
    "decided": _l("kunjungan diputuskan"),
    "refused": _l("kunjungan tidak dapat diputuskan"),
}

ACTIONS = {
    "auth.login": _l("masuk"),
    "auth.logout": _l("keluar"),
    "auth.login_failed": _l("gagal masuk"),
    "auth.staff_login_refused": _l("masuk ruang staf ditolak"),
    "auth.tokens_revoked": _l("sesi diakhiri"),
    "device.revoke": _l("ponsel dicabut"),
    "user.create": _l("pengguna dibuat"),
    "user.update": _l("pengguna diubah"),
    "user.password_reset": _l("kata sandi diatur ulang"),
    "user.password_change": _l("kata sandi diganti"),
    "household.update": _l("rumah tangga diubah"),
    "household.read": _l("rumah tangga dibaca"),
    "household.list": _l("daftar rumah tangga dibaca"),
    "household.history_read": _l("riwayat dibaca"),
    "visit.review_read": _l("kunjungan dibuka untuk tinjauan"),
    "review.queue": _l("antrean tinjauan dibaca"),
    "photo.read": _l("foto dilihat"),
    "audit.read": _l("jejak audit dibaca"),
}


def _choice(choices: list[dict], code) -> str:
    from server.staff.formats import label

    for choice in choices:
        if choice["code"] == code:
            return label(choice)
    return NONE if code is None else str(code)


def history_value(field: str, value, masked: bool, places: dict[str, str] | None = None) -> str:
    """A registry change's value as the reader may see it (identity numbers masked for viewers; a kelurahan by
    its name, code beside it, when `places` names it)."""
    from server.auth.masking import mask_number

    if value is None or value == "":
        return NONE
    if field == "region_code" and places and value in places:
        return f"{places[value]} ({value})"
    if field in ("nik", "kk_number") and masked:
        return mask_number(str(value)) or NONE
    if field == "registry_status":
        return word(REGISTRY, value)
    if field == "presence_status":
        return word(PRESENCE, value)
    if field == "house_condition" and isinstance(value, dict):
        return "; ".join(f"{word(HOUSE_PARTS, part)}: {_house_answer(part, answer)}" for part, answer in value.items())
    if field == "location" and isinstance(value, dict):  # one order on every side (JSON keys come sorted or not)
        return f"lat {value.get('lat')}, lon {value.get('lon')}"
    if isinstance(value, dict):  # a whole member (created, joined, left): its numbers masked as well
        return ", ".join(f"{key}: {history_value(key, inner, masked)}" for key, inner in value.items())
    return str(value)


def _house_answer(part: str, answer) -> str:
    """One answer of the house condition in words (the form's choice in the reader's language)."""
    from server.visits.form import HOUSE_CONDITION

    for choice in HOUSE_CONDITION.get(part, []):
        if choice["code"] == answer:
            return label(choice)
    return NONE if answer is None or answer == "" else str(answer)


def counted(counts: dict | None, *, zeros: bool = True) -> list[tuple[str, int]]:
    """An import's (or a bulk decision's) figures as (words, number) in the catalogue's order (the file, then
    its households, then what changed), those without words left out; zeros too unless `zeros` is false."""
    counts = counts or {}
    return [
        (str(words), counts[code])
        for code, words in IMPORT_COUNTS.items()
        if isinstance(counts.get(code), int) and not isinstance(counts[code], bool) and (zeros or counts[code])
    ]


def region_codes_in(rows: list[dict], *keys: str) -> list[str]:
    """The region codes that comparison or change rows (field `region_code`) hold under `keys`, to be named."""
    return sorted({row[key] for row in rows if row.get("field") == "region_code" for key in keys if row.get(key)})


def _visit_labels():
    from server.visits.form import OUTCOMES, PHOTO_KINDS, RELATIONSHIPS

    return OUTCOMES, RELATIONSHIPS, PHOTO_KINDS


GLOBALS.update(
    {
        "presence_label": lambda code: word(PRESENCE, code),
        "sex_label": lambda code: word(SEX, code),
        "field_label": lambda code: word(FIELDS, code),
        "source_label": lambda code: word(SOURCES, code),
        "change_state_label": lambda code: word(CHANGE_STATES, code),
        "history_value": history_value,
        "action_label": lambda code: str(ACTIONS.get(code, "")),
        "counted": counted,
        "outcome_label": lambda code: _choice(_visit_labels()[0], code),
        "relationship_label": lambda code: _choice(_visit_labels()[1], code),
        "photo_kind_label": lambda code: _choice(_visit_labels()[2], code),
    }
)
