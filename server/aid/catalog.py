"""The seeded program catalogue: the national, provincial and city programs of DESIGN.md §2.

`category` groups programs of the same purpose: two receipts of one category in overlapping periods are
stacking ("bantuan menumpuk"). The pandemic BST (Kemensos, 2020-21) and Kaltim's "Bantuan Sosial
Terencana" share an acronym in everyday speech, so they get deliberately different codes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from server.aid.models import AidProgram
from server.extensions import db
from server.types import ProgramForm, ProgramLevel, ProgramPeriod, ProgramUnit

NATIONAL, PROVINCE, CITY = ProgramLevel.NATIONAL, ProgramLevel.PROVINCE, ProgramLevel.CITY
FAMILY, PERSON = ProgramUnit.FAMILY, ProgramUnit.PERSON
CASH, NON_CASH, PREMIUM = ProgramForm.CASH, ProgramForm.NON_CASH, ProgramForm.PREMIUM


def _program(code, name, level, unit, form, category, period, active_from, active_until=None, description=None):
    return {
        "code": code,
        "name": name,
        "level": level,
        "unit": unit,
        "form": form,
        "category": category,
        "period": period,
        "active_from": active_from,
        "active_until": active_until,
        "description": description,
    }


PROGRAMS: tuple[dict[str, Any], ...] = (
    _program(
        "PKH",
        "Program Keluarga Harapan",
        NATIONAL,
        FAMILY,
        CASH,
        "cash_transfer",
        ProgramPeriod.QUARTERLY,
        date(2007, 1, 1),
        description="Bantuan tunai bersyarat per komponen anggota (ibu hamil, anak sekolah, lansia, disabilitas).",
    ),
    _program(
        "BPNT",
        "Bantuan Pangan Non-Tunai / Program Sembako",
        NATIONAL,
        FAMILY,
        NON_CASH,
        "food",
        ProgramPeriod.MONTHLY,
        date(2017, 1, 1),
        description="Saldo kartu untuk bahan pangan di e-warong.",
    ),
    _program(
        "PBI-JK",
        "Penerima Bantuan Iuran Jaminan Kesehatan",
        NATIONAL,
        PERSON,
        PREMIUM,
        "health",
        ProgramPeriod.MONTHLY,
        date(2014, 1, 1),
        description="Iuran BPJS Kesehatan dibayar pemerintah.",
    ),
    _program(
        "PIP",
        "Program Indonesia Pintar",
        NATIONAL,
        PERSON,
        CASH,
        "education",
        ProgramPeriod.YEARLY,
        date(2015, 1, 1),
        description="Bantuan tunai pendidikan per siswa.",
    ),
    _program(
        "BLT-BBM-2022",
        "BLT Bahan Bakar Minyak 2022",
        NATIONAL,
        FAMILY,
        CASH,
        "cash_transfer",
        ProgramPeriod.ONE_OFF,
        date(2022, 9, 1),
        date(2022, 12, 31),
    ),
    _program(
        "BLT-ELNINO-2023",
        "BLT El Niño 2023",
        NATIONAL,
        FAMILY,
        CASH,
        "cash_transfer",
        ProgramPeriod.ONE_OFF,
        date(2023, 11, 1),
        date(2023, 12, 31),
    ),
    _program(
        "BST-COVID",
        "Bantuan Sosial Tunai (pandemi COVID-19) 2020-2021",
        NATIONAL,
        FAMILY,
        CASH,
        "cash_transfer",
        ProgramPeriod.MONTHLY,
        date(2020, 4, 1),
        date(2021, 12, 31),
        description="Bukan Bantuan Sosial Terencana Kaltim.",
    ),
    _program(
        "BLT-DD",
        "BLT Dana Desa",
        NATIONAL,
        FAMILY,
        CASH,
        "cash_transfer",
        ProgramPeriod.MONTHLY,
        date(2020, 4, 1),
        description="Untuk desa; Samarinda tidak memiliki desa (hanya kelurahan), jadi tidak berlaku di sini.",
    ),
    _program(
        "KALTIM-BSTR",
        "Bantuan Sosial Terencana Provinsi Kalimantan Timur",
        PROVINCE,
        FAMILY,
        CASH,
        "cash_transfer",
        ProgramPeriod.YEARLY,
        date(2022, 1, 1),
        description="Program provinsi; bukan BST pandemi.",
    ),
    _program(
        "SMD-SSN",
        "Kartu SSN Kota Samarinda (bantuan non-tunai)",
        CITY,
        FAMILY,
        NON_CASH,
        "food",
        ProgramPeriod.MONTHLY,
        date(2022, 1, 1),
        description="Bantuan non-tunai Pemerintah Kota Samarinda.",
    ),
)


def seed_programs() -> dict[str, int]:
    """Insert missing catalogue programs and bring changed ones back to the catalogue; returns counts.

    An admin may add programs of their own; those are left alone. Running it twice changes nothing.
    """
    table = AidProgram.__table__
    statement = insert(table).values(list(PROGRAMS))
    editable = [name for name in PROGRAMS[0] if name != "code"]
    differs = sa.or_(*(table.c[name].is_distinct_from(statement.excluded[name]) for name in editable))
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.code],
        set_={name: statement.excluded[name] for name in editable},
        where=differs,
    ).returning(table.c.code, sa.literal_column("xmax = 0").label("inserted"))
    rows = db.session.execute(statement).all()
    inserted = sum(1 for row in rows if row.inserted)
    return {"inserted": inserted, "updated": len(rows) - inserted, "unchanged": len(PROGRAMS) - len(rows)}
