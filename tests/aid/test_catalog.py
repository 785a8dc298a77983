"""The seeded program catalogue: every program of DESIGN.md §2, idempotent seeding, distinct BST codes."""

from __future__ import annotations

import sqlalchemy as sa

from server.aid.catalog import PROGRAMS, seed_programs
from server.aid.models import AidProgram
from server.extensions import db


def _programs() -> dict[str, AidProgram]:
    return {p.code: p for p in db.session.execute(sa.select(AidProgram)).scalars()}


def test_catalogue_is_seeded_with_every_program_and_distinct_bst_codes(db_session):
    programs = _programs()
    assert {"PKH", "BPNT", "PBI-JK", "PIP", "BLT-BBM-2022", "BLT-ELNINO-2023", "SMD-SSN"} <= set(programs)
    pandemic, provincial = programs["BST-COVID"], programs["KALTIM-BSTR"]
    assert pandemic.level == "national" and provincial.level == "province"
    assert pandemic.active_until is not None and provincial.active_until is None
    assert {p.level for p in programs.values()} >= {"national", "province", "city"}
    assert programs["PBI-JK"].unit == "person" and programs["PKH"].unit == "family"


def test_seeding_again_changes_nothing_and_restores_edited_programs(db_session):
    assert seed_programs() == {"inserted": 0, "updated": 0, "unchanged": len(PROGRAMS)}
    programs = _programs()
    programs["PKH"].name = "Salah ketik"
    db_session.add(
        AidProgram(code="ADMIN-OWN", name="x", level="city", unit="family", form="cash", category="c", period="monthly")
    )
    db_session.flush()
    assert seed_programs() == {"inserted": 0, "updated": 1, "unchanged": len(PROGRAMS) - 1}
    db_session.expire_all()
    programs = _programs()
    assert programs["PKH"].name == "Program Keluarga Harapan"
    assert "ADMIN-OWN" in programs


def test_cli_seed(app, db_session):
    result = app.test_cli_runner().invoke(args=["programs", "seed"])
    assert result.exit_code == 0, result.output
    assert "0 inserted" in result.output
