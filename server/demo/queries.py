"""SQL for the demo city: COPY of generated households, members and receipts; the demo campaign's assignments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from server.bulk import copy_rows
from server.demo.generator import DemoCity
from server.extensions import db
from server.types import HouseholdSource, ReceiptSource

HOUSEHOLD_COLUMNS = (
    "id",
    "registry_id",
    "kk_number",
    "head_name",
    "address",
    "rt",
    "rw",
    "region_code",
    "decile",
    "location",
    "location_accuracy_m",
    "registry_status",
    "verification_status",
    "source",
)
MEMBER_COLUMNS = (
    "id",
    "household_id",
    "nik",
    "name",
    "sex",
    "birth_date",
    "birth_place",
    "relationship_code",
    "presence_status",
)
RECEIPT_COLUMNS = (
    "program_id",
    "household_id",
    "member_id",
    "period_start",
    "period_end",
    "amount",
    "source",
    "status",
    "listed_nik",
    "listed_nik_valid",
    "listed_name",
    "listed_kk",
    "listed_region_code",
    "listed_match",
    "occurrence",
)


def household_count() -> int:
    return db.session.execute(sa.text("SELECT count(*) FROM households")).scalar_one()


def program_ids() -> dict[str, int]:
    return dict(db.session.execute(sa.text("SELECT code, id FROM aid_programs")).all())


SECONDARY_INDEXES = sa.text(
    """
    SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = ANY(CAST(:tables AS regclass[])) AND NOT i.indisunique
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
     ORDER BY c.relname
    """
)


@contextmanager
def indexes_built_after(tables: tuple[str, ...]) -> Iterator[None]:
    """PostgreSQL's advice for populating a database: drop the secondary indexes, COPY, build them again (one
    sorted build each instead of a million insertions into every one, the trigram GIN ones above all). Only
    for the demo load into an empty database, inside its one transaction: a failure rolls the drops back too.
    Keys, unique indexes and constraints stay: they check the rows as they come."""
    indexes = db.session.execute(SECONDARY_INDEXES, {"tables": list(tables)}).all()
    for index in indexes:
        db.session.execute(sa.text(f'DROP INDEX "{index.name}"'))
    yield
    db.session.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
    for index in indexes:
        db.session.execute(sa.text(index.definition))


def copy_city(city: DemoCity, programs: dict[str, int]) -> None:
    with indexes_built_after(("households", "members", "aid_receipts")):
        _copy_rows_of(city, programs)


def _copy_rows_of(city: DemoCity, programs: dict[str, int]) -> None:
    copy_rows(
        "households",
        HOUSEHOLD_COLUMNS,
        (
            (
                h.id,
                h.registry_id,
                h.kk_number,
                h.head_name,
                h.address,
                h.rt,
                h.rw,
                h.region_code,
                h.decile,
                None if h.lon is None else f"SRID=4326;POINT({h.lon} {h.lat})",
                h.accuracy_m,
                h.registry_status.value,
                h.verification_status.value,
                HouseholdSource.REGISTRY.value,
            )
            for h in city.households
        ),
    )
    copy_rows(
        "members",
        MEMBER_COLUMNS,
        (
            (
                m.id,
                h.id,
                m.nik,
                m.name,
                m.sex,
                m.birth_date,
                m.birth_place,
                m.relationship_code,
                m.presence_status.value,
            )
            for h in city.households
            for m in h.members
        ),
    )
    # The receipts' statement trigger (aid stacking) looks households and members up: with statistics.
    analyze(("households", "members"))
    copy_rows(
        "aid_receipts",
        RECEIPT_COLUMNS,
        (
            (
                programs[r.program_code],
                r.household_id,
                r.member_id,
                r.period_start,
                r.period_end,
                r.amount,
                ReceiptSource.AGENCY_LIST.value,
                r.status,
                r.listed_nik,
                None if r.listed_nik is None and r.listed_nik_valid else r.listed_nik_valid,
                r.listed_name,
                r.listed_kk,
                r.listed_region_code,
                r.listed_match,
                r.occurrence,
            )
            for r in city.receipts
        ),
    )


def assign_kelurahan(*, campaign_id: int, enumerator_id: int, assigned_by_id: int, region_codes: list[str]) -> int:
    """Assign every still-registered household of these kelurahan to the enumerator."""
    return db.session.execute(
        sa.text(
            """
            INSERT INTO assignments (campaign_id, household_id, enumerator_id, assigned_by_id)
            SELECT :campaign_id, id, :enumerator_id, :assigned_by_id
              FROM households
             WHERE region_code = ANY(:region_codes) AND registry_status = 'active'
             ORDER BY id
            """
        ),
        {
            "campaign_id": campaign_id,
            "enumerator_id": enumerator_id,
            "assigned_by_id": assigned_by_id,
            "region_codes": region_codes,
        },
    ).rowcount


def analyze(tables: tuple[str, ...] = ("households", "members", "aid_receipts", "assignments")) -> None:
    """Statistics for freshly copied tables, so what runs next in the same transaction (triggers, the demo
    visits' push) plans with them. A one-time load into an empty database: the lock ANALYZE holds to the
    end of it stops nobody."""
    for table in tables:
        db.session.execute(sa.text(f"ANALYZE {table}"))


def settle_deceased(*, household_ids: list, decided_by_id: int) -> None:
    """Record that the musyawarah accepted these households as deceased (the registry already says so)."""
    if not household_ids:
        return
    db.session.execute(
        sa.text(
            """
            INSERT INTO registry_changes (household_id, field, old_value, new_value, source_kind, state,
                                          reason, decided_by_id, decided_at)
            SELECT id, 'registry_status', '"active"'::jsonb, '"deceased"'::jsonb, 'musyawarah', 'accepted',
                   'Musyawarah kelurahan (demo)', :decided_by, now()
              FROM households WHERE id = ANY(:ids)
            """
        ),
        {"ids": list(household_ids), "decided_by": decided_by_id},
    )
