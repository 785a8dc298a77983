"""SQL for imports: staging rows with COPY into temporary tables, set-based upserts of households and
members, import records and their rejections, and the aid matching (exact keys, pg_trgm candidates).

Staging tables are `ON COMMIT DROP` temporaries of the request's transaction, so nothing half-written
outlives a failed import.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from server.auth.access import in_region_sql, in_scope_sql
from server.bulk import copy_rows
from server.errors import ROW_HOUSEHOLD_MERGED, ROW_HOUSEHOLD_OUT_OF_SCOPE, ROW_NIK_IN_OTHER_HOUSEHOLD
from server.extensions import db
from server.history.queries import HOUSEHOLD_JSON, MEMBER_JSON
from server.imports.models import AidMatchProposal, DataImport, ImportRejection
from server.pagination import Keyset, natural_orders


def _execute(sql: str, **params) -> sa.CursorResult:
    return db.session.execute(sa.text(sql), params)


# --- registry ------------------------------------------------------------------------------------
STAGE_COLUMNS = (
    "row_number",
    "registry_id",
    "kk_number",
    "head_name",
    "address",
    "rt",
    "rw",
    "region_code",
    "decile",
    "lat",
    "lon",
    "nik",
    "name",
    "sex",
    "birth_date",
    "birth_place",
    "relationship_code",
)


def stage_registry_rows(rows: list) -> None:
    """COPY parsed rows (see server.imports.registry.ParsedRow) into `_registry_rows`."""
    _execute("DROP TABLE IF EXISTS _registry_rows")
    _execute(
        """
        CREATE TEMP TABLE _registry_rows (
            row_number integer, registry_id varchar(32), kk_number varchar(16), head_name varchar(200),
            address text, rt varchar(3), rw varchar(3), region_code varchar(13), decile smallint,
            lat float8, lon float8, nik varchar(16), name varchar(200), sex smallint, birth_date date,
            birth_place varchar(100), relationship_code smallint
        ) ON COMMIT DROP
        """
    )
    copy_rows(
        "_registry_rows",
        STAGE_COLUMNS,
        (
            (
                row.row_number,
                row.registry_id,
                row.household["kk_number"],
                row.household["head_name"],
                row.household["address"],
                row.household["rt"],
                row.household["rw"],
                row.household["kelurahan_code"],
                row.household["decile"],
                row.household["latitude"],
                row.household["longitude"],
                row.member["nik"],
                row.member["name"],
                row.member["sex"],
                row.member["birth_date"],
                row.member["birth_place"],
                row.member["relationship_code"],
            )
            for row in rows
        ),
    )
    _execute("CREATE INDEX ON _registry_rows (registry_id)")
    _execute("CREATE INDEX ON _registry_rows (nik)")
    _execute("ANALYZE _registry_rows")


def registry_conflicts_with_database(*, actor=None) -> list[tuple[int, str, str, str | None]]:
    """(row, registry_id, code, the other household's registry id when the caller may know it) for staged rows
    the database contradicts; the code is a catalogue row problem's (server.errors).

    Besides NIKs listed elsewhere and merged households: a supervisor may not pull a household that is
    stored outside their area into it by re-importing it with a new kelurahan.
    """
    scope, params = in_scope_sql(actor, "h.region_code")
    rows = _execute(
        """
        SELECT DISTINCT r.row_number, r.registry_id, :nik_elsewhere,
               -- Which household holds it is said only inside the caller's area (no probing across areas).
               CASE WHEN {scope} THEN coalesce(h.registry_id, '-') END
          FROM _registry_rows r
          JOIN members m ON m.nik = r.nik
          JOIN households h ON h.id = m.household_id
         WHERE h.registry_id IS DISTINCT FROM r.registry_id AND h.registry_status <> 'merged'
           AND m.presence_status <> 'removed'
           -- A household of this same file: the file decides its members (a NIK it lists in two households
           -- is imported and flagged, see flag_duplicate_niks; one it no longer lists there is removed).
           AND NOT EXISTS (SELECT 1 FROM _registry_rows o WHERE o.registry_id = h.registry_id)
        UNION ALL
        SELECT r.row_number, r.registry_id, :merged, NULL
          FROM _registry_rows r JOIN households h ON h.registry_id = r.registry_id
         WHERE h.registry_status = 'merged'
        UNION ALL
        SELECT r.row_number, r.registry_id, :out_of_scope, NULL
          FROM _registry_rows r JOIN households h ON h.registry_id = r.registry_id
         WHERE NOT ({scope})
        """.replace("{scope}", scope),
        nik_elsewhere=ROW_NIK_IN_OTHER_HOUSEHOLD.code,
        merged=ROW_HOUSEHOLD_MERGED.code,
        out_of_scope=ROW_HOUSEHOLD_OUT_OF_SCOPE.code,
        **params,
    )
    return [tuple(row) for row in rows]


def unstage_households(registry_ids: list[str]) -> None:
    _execute("DELETE FROM _registry_rows WHERE registry_id = ANY(:ids)", ids=registry_ids)


def apply_staged_registry(
    *, dry_run: bool, actor_id: int | None = None, source_id: str | None = None
) -> tuple[dict[str, int], list[tuple], list[tuple]]:
    """Upsert staged households and members; only differing rows change and bump their household's version.

    Returns the counts, the households whose members the file no longer lists ((registry_id, first row,
    members removed, head among them)), and the rows whose NIK the file lists in two households.

    Blank optional cells never erase what the database holds (a field correction outlives a re-import).
    """
    # Households outside the (remaining) file whose members hold a NIK the file lists: read before anything is
    # written (a scan of members after the upsert would plan against a table that just grew in this transaction).
    _execute("DROP TABLE IF EXISTS _registry_holders")
    _execute(
        """
        CREATE TEMP TABLE _registry_holders ON COMMIT DROP AS
        SELECT DISTINCT r.nik, m.household_id
          FROM _registry_rows r JOIN members m ON m.nik = r.nik JOIN households h ON h.id = m.household_id
         WHERE m.presence_status <> 'removed' AND h.registry_status <> 'merged'
           AND NOT EXISTS (SELECT 1 FROM _registry_rows o WHERE o.registry_id = h.registry_id)
        """
    )
    savepoint = db.session.begin_nested() if dry_run else None
    _snapshot_before()
    _execute("DROP TABLE IF EXISTS _registry_touched")
    _execute("CREATE TEMP TABLE _registry_touched (id uuid PRIMARY KEY, inserted boolean) ON COMMIT DROP")
    _execute(
        """
        WITH staged AS (
            SELECT DISTINCT ON (registry_id)
                   registry_id, kk_number, coalesce(head_name, name) AS head_name, address, rt, rw, region_code,
                   decile,
                   CASE WHEN lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END AS location
              FROM _registry_rows
             ORDER BY registry_id, relationship_code, row_number
        ), upserted AS (
            INSERT INTO households AS h (id, registry_id, kk_number, head_name, address, rt, rw, region_code, decile,
                                         location, registry_status, verification_status, source, version)
            SELECT gen_random_uuid(), registry_id, kk_number, head_name, address, rt, rw, region_code, decile,
                   location, 'active', 'unverified', 'registry', 1
              FROM staged
            ON CONFLICT (registry_id) DO UPDATE
               SET kk_number = EXCLUDED.kk_number,
                   head_name = EXCLUDED.head_name,
                   address = coalesce(EXCLUDED.address, h.address),
                   rt = coalesce(EXCLUDED.rt, h.rt),
                   rw = coalesce(EXCLUDED.rw, h.rw),
                   region_code = EXCLUDED.region_code,
                   decile = coalesce(EXCLUDED.decile, h.decile),
                   location = coalesce(EXCLUDED.location, h.location),
                   location_accuracy_m = CASE WHEN EXCLUDED.location IS NULL THEN h.location_accuracy_m END,
                   version = h.version + 1,
                   updated_at = now()
             WHERE (h.kk_number, h.head_name, h.address, h.rt, h.rw, h.region_code, h.decile)
                   IS DISTINCT FROM
                   (EXCLUDED.kk_number, EXCLUDED.head_name, coalesce(EXCLUDED.address, h.address),
                    coalesce(EXCLUDED.rt, h.rt), coalesce(EXCLUDED.rw, h.rw), EXCLUDED.region_code,
                    coalesce(EXCLUDED.decile, h.decile))
                OR (EXCLUDED.location IS NOT NULL AND h.location IS DISTINCT FROM EXCLUDED.location)
            RETURNING h.id, (h.xmax = 0) AS inserted
        )
        INSERT INTO _registry_touched SELECT id, inserted FROM upserted
        """
    )
    # The registry is the source of truth for its households: a present member of a household in the file
    # whom the file no longer lists is marked `removed` (kept for the visits and aid that name it). First,
    # so that a new head can take the place of the old one (one present head per household, enforced).
    _execute("DROP TABLE IF EXISTS _registry_removed")
    _execute(
        "CREATE TEMP TABLE _registry_removed (household_id uuid PRIMARY KEY, members integer, head boolean) "
        "ON COMMIT DROP"
    )
    _execute(
        """
        WITH removed AS (
            UPDATE members m SET presence_status = 'removed', updated_at = now()
              FROM households h
             WHERE m.household_id = h.id AND m.presence_status = 'present'
               AND h.registry_id IN (SELECT registry_id FROM _registry_rows)
               AND NOT EXISTS (SELECT 1 FROM _registry_rows r WHERE r.registry_id = h.registry_id AND r.nik = m.nik)
            RETURNING m.household_id, m.relationship_code
        )
        INSERT INTO _registry_removed
        SELECT household_id, count(*), bool_or(relationship_code = 1) FROM removed GROUP BY household_id
        """
    )
    # Which stored member each row is (if any), decided before anything is written: a statement whose
    # anti-join reads the members table it is inserting into can rescan it once per row when the planner
    # believes it empty (fresh database, or statistics from before a large import): quadratic, minutes.
    _execute("DROP TABLE IF EXISTS _registry_members")
    _execute(
        """
        CREATE TEMP TABLE _registry_members ON COMMIT DROP AS
        SELECT DISTINCT ON (r.row_number) r.row_number, h.id AS household_id, m.id AS member_id
          FROM _registry_rows r JOIN households h ON h.registry_id = r.registry_id
          LEFT JOIN members m ON m.household_id = h.id AND m.nik = r.nik
         ORDER BY r.row_number, m.presence_status = 'removed', m.created_at DESC
        """
    )
    _execute("ANALYZE _registry_members")
    updated_members = _execute(
        """
        WITH changed AS (
            UPDATE members m
               SET name = r.name, sex = r.sex, relationship_code = r.relationship_code,
                   birth_date = coalesce(r.birth_date, m.birth_date),
                   birth_place = coalesce(r.birth_place, m.birth_place),
                   -- listed again after the registry had dropped them
                   presence_status = CASE WHEN m.presence_status = 'removed' THEN 'present'
                                          ELSE m.presence_status END,
                   updated_at = now()
              FROM _registry_members t JOIN _registry_rows r ON r.row_number = t.row_number
             WHERE m.id = t.member_id
               AND ((m.name, m.sex, m.relationship_code, m.birth_date, m.birth_place)
                    IS DISTINCT FROM
                    (r.name, r.sex, r.relationship_code, coalesce(r.birth_date, m.birth_date),
                     coalesce(r.birth_place, m.birth_place))
                    OR m.presence_status = 'removed')
            RETURNING m.household_id
        ), inserted AS (
            INSERT INTO members (id, household_id, nik, name, sex, birth_date, birth_place, relationship_code,
                                 presence_status)
            SELECT gen_random_uuid(), t.household_id, r.nik, r.name, r.sex, r.birth_date, r.birth_place,
                   r.relationship_code, 'present'
              FROM _registry_members t JOIN _registry_rows r ON r.row_number = t.row_number
             WHERE t.member_id IS NULL
            RETURNING household_id
        ), member_changes AS (
            SELECT household_id, 'updated' AS how FROM changed
            UNION ALL SELECT household_id, 'inserted' FROM inserted
        ), bumped AS (
            UPDATE households h SET version = h.version + 1, updated_at = now()
             WHERE (h.id IN (SELECT household_id FROM member_changes)
                    OR h.id IN (SELECT household_id FROM _registry_removed))
               AND h.id NOT IN (SELECT id FROM _registry_touched)
            RETURNING h.id
        )
        SELECT (SELECT count(*) FROM member_changes WHERE how = 'updated'),
               (SELECT count(*) FROM member_changes WHERE how = 'inserted'),
               (SELECT count(*) FROM bumped)
        """
    ).one()
    touched = _execute(
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM _registry_touched"
    ).one()
    removed = _execute(
        """
        SELECT h.registry_id, min(r.row_number), x.members, x.head
          FROM _registry_removed x JOIN households h ON h.id = x.household_id
          JOIN _registry_rows r ON r.registry_id = h.registry_id
         GROUP BY h.registry_id, x.members, x.head ORDER BY 2
        """
    ).all()
    duplicates, flagged_households = flag_duplicate_niks()
    history_rows = _record_history(actor_id=actor_id, source_id=source_id)
    counts = {
        "households_inserted": touched[0],
        "households_updated": touched[1] + updated_members[2],
        "members_inserted": updated_members[1],
        "members_updated": updated_members[0],
        "members_removed": sum(row[2] for row in removed),
        "heads_replaced": sum(1 for row in removed if row[3]),
        "nik_duplicates": len({row[0] for row in duplicates}),
        "households_flagged_nik_duplicate": flagged_households,
        "history_rows": history_rows,
    }
    if savepoint is not None:
        savepoint.rollback()
    return counts, [tuple(row) for row in removed], [tuple(row) for row in duplicates]


NIK_DUPLICATE = "nik_duplicate"


def _snapshot_before() -> None:
    """The followed fields of the file's stored households and their members before the import writes, so the
    change history can record old and new values (server/history/)."""
    _execute("DROP TABLE IF EXISTS _registry_before")
    _execute(
        f"""
        CREATE TEMP TABLE _registry_before ON COMMIT DROP AS
        SELECT h.id, h.version, {HOUSEHOLD_JSON} AS snap FROM households h
         WHERE h.registry_id IN (SELECT registry_id FROM _registry_rows)
        """
    )
    _execute("DROP TABLE IF EXISTS _registry_members_before")
    _execute(
        f"""
        CREATE TEMP TABLE _registry_members_before ON COMMIT DROP AS
        SELECT m.id, {MEMBER_JSON} AS snap FROM members m JOIN _registry_before b ON b.id = m.household_id
        """
    )
    # Temporary tables have no statistics until analysed: the history's anti-join would be planned blind.
    _execute("ANALYZE _registry_before")
    _execute("ANALYZE _registry_members_before")


def _record_history(*, actor_id: int | None, source_id: str | None) -> int:
    """One change-history row per field the import changed on a household it already held (and per member it
    added to one); households it created are recorded by their creation alone (version 1 is the file). Only
    households whose version moved are compared (the import bumps the version of whatever it changes)."""
    households = _execute(
        f"""
        INSERT INTO registry_changes (household_id, member_id, field, old_value, new_value, source_kind, source_id,
                                      state, household_version, decided_by_id, decided_at)
        SELECT h.id, NULL, a.key, b.snap -> a.key, a.value, 'import', :source_id, 'applied', h.version,
               CAST(:actor_id AS integer), now()
          FROM _registry_before b JOIN households h ON h.id = b.id AND h.version <> b.version
         CROSS JOIN LATERAL jsonb_each({HOUSEHOLD_JSON}) a
         WHERE a.value IS DISTINCT FROM b.snap -> a.key
        """,
        source_id=source_id,
        actor_id=actor_id,
    ).rowcount
    members = _execute(
        f"""
        INSERT INTO registry_changes (household_id, member_id, field, old_value, new_value, source_kind, source_id,
                                      state, household_version, decided_by_id, decided_at)
        SELECT m.household_id, m.id, a.key, b.snap -> a.key, a.value, 'import', :source_id, 'applied', h.version,
               CAST(:actor_id AS integer), now()
          FROM _registry_members_before b JOIN members m ON m.id = b.id JOIN households h ON h.id = m.household_id
          JOIN _registry_before hb ON hb.id = h.id AND h.version <> hb.version
         CROSS JOIN LATERAL jsonb_each({MEMBER_JSON}) a
         WHERE a.value IS DISTINCT FROM b.snap -> a.key
        UNION ALL
        SELECT m.household_id, m.id, 'member', NULL::jsonb, {MEMBER_JSON}, 'import', :source_id, 'applied',
               h.version, CAST(:actor_id AS integer), now()
          FROM _registry_before b JOIN members m ON m.household_id = b.id
          JOIN households h ON h.id = m.household_id AND h.version <> b.version
         WHERE NOT EXISTS (SELECT 1 FROM _registry_members_before x WHERE x.id = m.id)
        """,
        source_id=source_id,
        actor_id=actor_id,
    ).rowcount
    return households + members


# Fields a registry file sets that a later settled change (staff edit, review, musyawarah) may have corrected.
SETTLED_HOUSEHOLD_FIELDS = ("kk_number", "head_name", "address", "rt", "rw", "region_code", "decile")
SETTLED_MEMBER_FIELDS = ("name", "sex", "birth_date", "birth_place", "relationship_code")


def keep_newer_settled_changes(*, as_of) -> list[tuple[int, str, str]]:
    """A file extracted on `as_of` never silently undoes a settled change decided after it: where the file's
    value differs from the stored one and a newer settled change set the stored one, the staged value is
    replaced by the stored one. Returns (row number, registry id, field) of each such conflict."""
    conflicts: list[tuple[int, str, str]] = []
    for field in SETTLED_HOUSEHOLD_FIELDS:
        staged = "coalesce(r.head_name, r.name)" if field == "head_name" else f"r.{field}"
        rows = _execute(
            f"""
            WITH hit AS (
                SELECT DISTINCT r.registry_id, h.{field} AS kept FROM _registry_rows r
                  JOIN households h ON h.registry_id = r.registry_id
                 WHERE {staged} IS NOT NULL AND {staged} IS DISTINCT FROM h.{field}
                   AND EXISTS (SELECT 1 FROM registry_changes c
                                WHERE c.household_id = h.id AND c.member_id IS NULL AND c.field = :field
                                  AND c.state IN ('applied', 'accepted') AND c.source_kind <> 'import'
                                  AND c.decided_at >= CAST(:as_of AS date) + 1)
            ), kept AS (
                UPDATE _registry_rows r SET {field} = hit.kept FROM hit WHERE r.registry_id = hit.registry_id
                RETURNING r.registry_id, r.row_number
            )
            SELECT min(row_number), registry_id FROM kept GROUP BY registry_id
            """,
            field=field,
            as_of=as_of,
        ).all()
        conflicts += [(row[0], row[1], field) for row in rows]
    for field in SETTLED_MEMBER_FIELDS:
        rows = _execute(
            f"""
            WITH hit AS (
                SELECT r.row_number, m.{field} AS kept FROM _registry_rows r
                  JOIN households h ON h.registry_id = r.registry_id
                  JOIN members m ON m.household_id = h.id AND m.nik = r.nik
                 WHERE r.{field} IS NOT NULL AND r.{field} IS DISTINCT FROM m.{field}
                   AND EXISTS (SELECT 1 FROM registry_changes c
                                WHERE c.member_id = m.id AND c.field = :field
                                  AND c.state IN ('applied', 'accepted') AND c.source_kind <> 'import'
                                  AND c.decided_at >= CAST(:as_of AS date) + 1)
            ), kept AS (
                UPDATE _registry_rows r SET {field} = hit.kept FROM hit WHERE r.row_number = hit.row_number
                RETURNING r.registry_id, r.row_number
            )
            SELECT row_number, registry_id FROM kept
            """,
            field=field,
            as_of=as_of,
        ).all()
        conflicts += [(row[0], row[1], field) for row in rows]
    return sorted(conflicts)


def flag_duplicate_niks() -> tuple[list[tuple[str, str, int]], int]:
    """After the upsert: every NIK of the file that two or more households now hold (the file lists it twice,
    or a household outside the file, see `_registry_holders`, still holds it) flags all those households
    `nik_duplicate` (an import never clears a flag). Returns (nik, registry_id, row) of each file row with
    such a NIK, and how many households hold one."""
    _execute("DROP TABLE IF EXISTS _registry_shared")
    _execute(
        """
        CREATE TEMP TABLE _registry_shared ON COMMIT DROP AS
        WITH holders AS (
            SELECT DISTINCT r.nik, h.id AS household_id
              FROM _registry_rows r JOIN households h ON h.registry_id = r.registry_id
            UNION
            SELECT nik, household_id FROM _registry_holders
        )
        SELECT nik, household_id FROM holders
         WHERE nik IN (SELECT nik FROM holders GROUP BY nik HAVING count(*) > 1)
        """
    )
    households = _execute("SELECT count(DISTINCT household_id) FROM _registry_shared").scalar_one()
    if households:
        _execute(
            """
            UPDATE households SET flags = flags || CAST(:flag AS jsonb)
             WHERE id IN (SELECT household_id FROM _registry_shared) AND NOT flags @> CAST(:flag AS jsonb)
            """,
            flag=f'["{NIK_DUPLICATE}"]',
        )
    rows = _execute(
        """
        SELECT r.nik, r.registry_id, r.row_number FROM _registry_rows r
         WHERE r.nik IN (SELECT nik FROM _registry_shared) ORDER BY r.row_number
        """
    ).all()
    return [tuple(row) for row in rows], households


# --- import records ------------------------------------------------------------------------------
def add_import(**values) -> DataImport:
    record = DataImport(**values)
    db.session.add(record)
    db.session.flush()
    return record


def get_import(*, import_id: int) -> DataImport | None:
    return db.session.get(DataImport, import_id)


# The orders of the staff list of imports (`sort`; `time`, newest first, by default). Nothing else is put into
# ORDER BY.
IMPORT_ORDERS = natural_orders(
    time=Keyset((DataImport.id,), (int,), descending=True),
    file=Keyset((DataImport.filename, DataImport.id), (str, int)),
    kind=Keyset((DataImport.kind, DataImport.id), (str, int)),
    state=Keyset((DataImport.dry_run, DataImport.id), (bool, int)),
)


def imports_page(*, actor_id: int | None, keyset: Keyset, after: list | None, limit: int) -> list[sa.Row]:
    """`limit` + 1 imports in `keyset`'s order after the cursor's row, only `actor_id`'s own when given:
    (DataImport, sort_0, sort_1…)."""
    query = sa.select(DataImport, *keyset.labelled()).limit(limit + 1)
    if actor_id is not None:
        query = query.where(DataImport.actor_id == actor_id)
    return list(db.session.execute(keyset.apply(query, after)).all())


def list_imports(*, actor_id: int | None = None, limit: int = 50) -> list[DataImport]:
    """Newest first; only `actor_id`'s own when given (filtered before the limit, not after)."""
    query = sa.select(DataImport).order_by(DataImport.id.desc()).limit(limit)
    if actor_id is not None:
        query = query.where(DataImport.actor_id == actor_id)
    return list(db.session.execute(query).scalars())


def add_rejections(*, import_id: int, rejections: list) -> None:
    if not rejections:
        return
    copy_rows(
        "data_import_rejections",
        ("import_id", "row_number", '"column"', "record_key", "code", "reason"),
        ((import_id, item.row_number, item.column, item.record_key, item.code, item.reason) for item in rejections),
    )


def rejections_of(*, import_id: int, limit: int | None = None, warnings: bool | None = None) -> list[ImportRejection]:
    """An import's rejections and warnings (codes `warning.*`); `warnings` True/False selects one kind."""
    query = (
        sa.select(ImportRejection)
        .where(ImportRejection.import_id == import_id)
        .order_by(ImportRejection.row_number, ImportRejection.id)
    )
    if warnings is not None:
        is_warning = ImportRejection.code.like("warning.%")
        query = query.where(is_warning if warnings else sa.not_(is_warning))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def proposals_of(*, import_id: int) -> list[AidMatchProposal]:
    return list(
        db.session.execute(
            sa.select(AidMatchProposal)
            .where(AidMatchProposal.import_id == import_id)
            .order_by(AidMatchProposal.row_number)
        ).scalars()
    )


# --- aid lists -----------------------------------------------------------------------------------
APPLY_COLUMNS = (
    "row_number",
    "matched",
    "household_id",
    "member_id",
    "listed_match",
    "number",
    "listed_name",
    "listed_nik",
    "listed_nik_valid",
    "listed_kk",
    "listed_region_code",
    "amount",
    "status",
    "occurrence",
)


def match_aid_rows(
    *,
    rows: list,
    program_id: int,
    family: bool,
    period_start,
    period_end,
    actor,
    import_id: int,
    candidate_limit: int,
    dry_run: bool,
) -> dict[str, Any]:
    """Apply exact key matches as receipts; store proposals (with name-similar candidates) for the rest.

    Rows whose key matches nobody in the whole registry (or several records) are kept as receipts without
    a recipient (`listed_match` none / ambiguous); a key found only outside the caller's area is not
    stored and not told apart from no match (no probing across areas).
    """
    _execute("DROP TABLE IF EXISTS _aid_rows")
    _execute(
        "CREATE TEMP TABLE _aid_rows (row_number integer, number varchar(16), name varchar(200), "
        "region_code varchar(13), amount numeric(14, 2), status varchar(14)) ON COMMIT DROP"
    )
    copy_rows(
        "_aid_rows",
        ("row_number", "number", "name", "region_code", "amount", "status"),
        ((r.row_number, r.number, r.name, r.region_code, r.amount, r.status) for r in rows),
    )
    _execute("CREATE INDEX ON _aid_rows (number)")
    _execute("ANALYZE _aid_rows")
    scope, scope_params = in_scope_sql(actor, "h.region_code")
    if family:
        found_sql = """
            SELECT r.row_number, h.id, NULL::uuid, h.head_name, h.region_code, {scope}
              FROM _aid_rows r JOIN households h ON h.kk_number = r.number
             WHERE h.registry_status <> 'merged'
        """
    else:
        found_sql = """
            SELECT r.row_number, h.id, m.id, m.name, h.region_code, {scope}
              FROM _aid_rows r JOIN members m ON m.nik = r.number JOIN households h ON h.id = m.household_id
             WHERE h.registry_status <> 'merged'
        """
    matches: dict[int, list[tuple]] = {}
    known_elsewhere: set[int] = set()
    for row_number, household_id, member_id, name, region_code, visible in _execute(
        found_sql.format(scope=scope), **scope_params
    ):
        if visible:
            matches.setdefault(row_number, []).append((household_id, member_id, name, region_code))
        else:
            known_elsewhere.add(row_number)
    by_row = {row.row_number: row for row in rows}
    unique = {number: found[0] for number, found in matches.items() if len(found) == 1}
    ambiguous = {number: found for number, found in matches.items() if len(found) > 1}
    unmatched = [number for number in by_row if number not in matches]
    nowhere = [number for number in unmatched if number not in known_elsewhere]

    savepoint = db.session.begin_nested() if dry_run else None
    items = _apply_items(rows, unique=unique, ambiguous=ambiguous, nowhere=set(nowhere), family=family)
    applied = _apply_receipts(
        items,
        family=family,
        program_id=program_id,
        period_start=period_start,
        period_end=period_end,
        import_id=import_id,
    )
    candidates: dict[int, list[dict]] = {
        number: [
            {"household_id": str(h), "member_id": str(m) if m else None, "name": n, "region_code": rc, "score": 1.0}
            for h, m, n, rc in found
        ]
        for number, found in ambiguous.items()
    }
    candidates |= _name_candidates(unmatched, family=family, limit=candidate_limit, scope=scope, params=scope_params)
    no_candidates = [number for number in unmatched if not candidates.get(number) and number in known_elsewhere]
    proposals_new, proposals_existing = _store_proposals(
        [(by_row[number], candidates[number]) for number in sorted(candidates) if candidates[number]],
        program_id=program_id,
        period_start=period_start,
        period_end=period_end,
        import_id=import_id,
    )
    if savepoint is not None:
        savepoint.rollback()
    listed_niks: dict[str, set] = {}
    for row in rows:
        if row.nik and row.kk:
            listed_niks.setdefault(row.nik, set()).add(row.kk)
    return {
        "exact_matches": len(unique),
        "receipts_inserted": applied["inserted"],
        "receipts_updated": applied["updated"],
        "receipts_unchanged": len(items) - applied["inserted"] - applied["updated"],
        "paid_again_in_file": sum(1 for item in items if item[1] and item[-1] > 1),
        "not_in_registry": len(nowhere),
        "invalid_nik": sum(1 for row in rows if row.nik_valid is False),
        "nik_on_several_kk": sum(1 for kks in listed_niks.values() if len(kks) > 1),
        "ambiguous_keys": len(ambiguous),
        "unmatched": len(unmatched),
        "proposals_created": proposals_new,
        "proposals_already_open": proposals_existing,
        "no_candidate_rows": no_candidates,
    }


def _apply_items(rows, *, unique, ambiguous, nowhere, family) -> list[tuple]:
    """One receipt per row to keep, numbered by occurrence: the n-th row of the file paying one recipient."""
    seen: dict[tuple, int] = {}
    items = []
    for row in sorted(rows, key=lambda item: item.row_number):
        if row.row_number in unique:
            household_id, member_id, *_ = unique[row.row_number]
            if family:
                member_id = None
            else:
                household_id = None
            matched, listed_match, identity = True, "exact", ("m", household_id, member_id)
        elif row.row_number in ambiguous or row.row_number in nowhere:
            household_id = member_id = None
            listed_match = "ambiguous" if row.row_number in ambiguous else "none"
            matched, identity = False, ("u", row.number, row.name)
        else:
            continue
        occurrence = seen[identity] = seen.get(identity, 0) + 1
        items.append(
            (
                row.row_number,
                matched,
                household_id,
                member_id,
                listed_match,
                row.number,
                row.name,
                row.nik if row.nik else (None if family else row.number),
                row.nik_valid,
                row.kk if row.kk else (row.number if family else None),
                row.region_code,
                row.amount,
                row.status,
                occurrence,
            )
        )
    return items


def _apply_receipts(items, *, family, program_id, period_start, period_end, import_id) -> dict[str, int]:
    """Upsert the file's receipts by identity: (recipient, occurrence) for matched rows, (listed key, name,
    occurrence) for rows matching nobody; a re-import of the same file changes nothing."""
    if not items:
        return {"inserted": 0, "updated": 0}
    _execute("DROP TABLE IF EXISTS _aid_apply")
    _execute(
        "CREATE TEMP TABLE _aid_apply (row_number integer, matched boolean, household_id uuid, member_id uuid, "
        "listed_match varchar(10), number varchar(16), listed_name varchar(200), listed_nik varchar(16), "
        "listed_nik_valid boolean, listed_kk varchar(16), listed_region_code varchar(13), amount numeric(14, 2), "
        "status varchar(14), occurrence smallint) ON COMMIT DROP"
    )
    copy_rows("_aid_apply", APPLY_COLUMNS, items)
    params = {"program_id": program_id, "start": period_start, "end": period_end, "import_id": import_id}
    key = "t.listed_kk" if family else "t.listed_nik"
    same = f"""t.program_id = :program_id AND t.period_start = :start AND t.period_end = :end
        AND t.occurrence = a.occurrence
        AND ((a.matched AND t.household_id IS NOT DISTINCT FROM a.household_id
                        AND t.member_id IS NOT DISTINCT FROM a.member_id)
          OR (NOT a.matched AND t.listed_match IN ('none', 'ambiguous', 'confirmed')
                            AND {key} IS NOT DISTINCT FROM a.number AND t.listed_name = a.listed_name))"""
    listed = ("listed_nik", "listed_nik_valid", "listed_kk", "listed_name", "listed_region_code")
    updated = _execute(
        f"""
        UPDATE aid_receipts t
           SET amount = a.amount, status = a.status, import_id = :import_id, listed_row = a.row_number,
               {", ".join(f"{column} = a.{column}" for column in listed)}
          FROM _aid_apply a
         WHERE {same}
           AND (t.amount, t.status, {", ".join(f"t.{column}" for column in listed)})
               IS DISTINCT FROM (a.amount, a.status, {", ".join(f"a.{column}" for column in listed)})
        """,
        **params,
    ).rowcount
    # New receipts decided before any is written (an INSERT whose anti-join reads the table it writes can
    # rescan it once per row: quadratic when the planner believes aid_receipts empty).
    _execute("DROP TABLE IF EXISTS _aid_new")
    _execute(
        f"""
        CREATE TEMP TABLE _aid_new ON COMMIT DROP AS
        SELECT a.* FROM _aid_apply a WHERE NOT EXISTS (SELECT 1 FROM aid_receipts t WHERE {same})
        """,
        **params,
    )
    inserted = _execute(
        f"""
        INSERT INTO aid_receipts (program_id, household_id, member_id, period_start, period_end, amount, source,
                                  status, import_id, listed_match, listed_row, occurrence, {", ".join(listed)})
        SELECT :program_id, a.household_id, a.member_id, CAST(:start AS date), CAST(:end AS date), a.amount,
               'agency_list', a.status, :import_id, a.listed_match, a.row_number, a.occurrence,
               {", ".join(f"a.{column}" for column in listed)}
          FROM _aid_new a
        """,
        **params,
    ).rowcount
    return {"inserted": inserted, "updated": updated}


def _name_candidates(row_numbers: list[int], *, family: bool, limit: int, scope: str, params: dict) -> dict:
    if not row_numbers:
        return {}
    result = _execute(
        f"""
        SELECT r.row_number, c.household_id, c.member_id, c.name, c.region_code, c.score
          FROM _aid_rows r
         CROSS JOIN LATERAL (
               SELECT h.id AS household_id, m.id AS member_id, m.name, h.region_code,
                      similarity(m.name, r.name) AS score
                 FROM members m JOIN households h ON h.id = m.household_id
                WHERE m.name % r.name AND h.registry_status <> 'merged'
                  AND (r.region_code IS NULL OR {in_region_sql("h.region_code", "r.region_code")})
                  AND {scope}
                ORDER BY score DESC, m.id
                LIMIT :fetch
         ) c
         WHERE r.row_number = ANY(:rows)
         ORDER BY r.row_number, c.score DESC
        """,
        rows=row_numbers,
        fetch=limit * 3,
        **params,
    )
    candidates: dict[int, list[dict]] = {}
    for row_number, household_id, member_id, name, region_code, score in result:
        found = candidates.setdefault(row_number, [])
        if family and any(item["household_id"] == str(household_id) for item in found):
            continue
        if len(found) < limit:
            found.append(
                {
                    "household_id": str(household_id),
                    "member_id": None if family else str(member_id),
                    "name": name,
                    "region_code": region_code,
                    "score": round(float(score), 3),
                }
            )
    return candidates


def _store_proposals(items, *, program_id, period_start, period_end, import_id) -> tuple[int, int]:
    created = existing = 0
    for row, candidates in items:
        already = db.session.execute(
            sa.select(AidMatchProposal.id).where(
                AidMatchProposal.program_id == program_id,
                AidMatchProposal.period_start == period_start,
                AidMatchProposal.period_end == period_end,
                AidMatchProposal.listed_name == row.name,
                AidMatchProposal.listed_number.is_not_distinct_from(row.number),
            )
        ).first()
        if already:
            existing += 1
            continue
        db.session.add(
            AidMatchProposal(
                import_id=import_id,
                program_id=program_id,
                row_number=row.row_number,
                listed_number=row.number,
                listed_name=row.name,
                region_code=row.region_code,
                period_start=period_start,
                period_end=period_end,
                amount=row.amount,
                receipt_status=row.status,
                candidates=candidates,
                state="pending",
            )
        )
        created += 1
    db.session.flush()
    return created, existing


def list_proposals(*, actor, state: str | None, import_id: int | None, limit: int = 200) -> list[AidMatchProposal]:
    query = sa.select(AidMatchProposal).order_by(AidMatchProposal.id).limit(limit)
    if state:
        query = query.where(AidMatchProposal.state == state)
    if import_id is not None:
        query = query.where(AidMatchProposal.import_id == import_id)
    if actor is not None and not actor.is_admin:
        query = query.join(DataImport, DataImport.id == AidMatchProposal.import_id).where(
            DataImport.actor_id == actor.user_id
        )
    return list(db.session.execute(query).scalars())


def lock_proposal(*, proposal_id: int) -> AidMatchProposal | None:
    return db.session.execute(
        sa.select(AidMatchProposal).where(AidMatchProposal.id == proposal_id).with_for_update()
    ).scalar_one_or_none()


def attach_listed_receipt(*, proposal, household_id, member_id, family: bool) -> int | None:
    """Give the receipt kept for a proposal's unmatched row the recipient a supervisor chose; its id or None."""
    key = "listed_kk" if family else "listed_nik"
    return _execute(
        f"""
        UPDATE aid_receipts SET household_id = :household_id, member_id = :member_id, listed_match = 'confirmed'
         WHERE id = (SELECT id FROM aid_receipts
                      WHERE program_id = :program_id AND period_start = :start AND period_end = :end
                        AND listed_match IN ('none', 'ambiguous') AND listed_name = :name
                        AND {key} IS NOT DISTINCT FROM :number
                      ORDER BY occurrence, id LIMIT 1 FOR UPDATE)
        RETURNING id
        """,
        household_id=household_id,
        member_id=member_id,
        program_id=proposal.program_id,
        start=proposal.period_start,
        end=proposal.period_end,
        name=proposal.listed_name,
        number=proposal.listed_number,
    ).scalar()


def insert_receipt(**values) -> int:
    from server.aid.models import AidReceipt

    receipt = AidReceipt(**values)
    db.session.add(receipt)
    db.session.flush()
    return receipt.id


LOCKED_HOUSEHOLDS = """
    SELECT h.id, h.registry_id FROM households h
     WHERE EXISTS (SELECT 1 FROM musyawarah_rounds m
                    WHERE m.region_code = h.region_code AND m.state = 'locked'
                      AND m.locked_at >= CAST(:as_of AS date) + 1)
"""


def keep_locked_rounds(*, as_of) -> list[tuple[int, str, str]]:
    """A file extracted on `as_of` never overrides a kelurahan whose musyawarah round was locked after that
    day: every field it would change on such a household (or its members, by NIK) keeps the stored value.
    Returns (row number, registry id, field) of each conflict."""
    conflicts: list[tuple[int, str, str]] = []
    for field in SETTLED_HOUSEHOLD_FIELDS:
        staged = "coalesce(r.head_name, r.name)" if field == "head_name" else f"r.{field}"
        rows = _execute(
            f"""
            WITH locked AS ({LOCKED_HOUSEHOLDS}), hit AS (
                SELECT DISTINCT r.registry_id, h.{field} AS kept FROM _registry_rows r
                  JOIN households h ON h.registry_id = r.registry_id JOIN locked l ON l.id = h.id
                 WHERE {staged} IS NOT NULL AND {staged} IS DISTINCT FROM h.{field}
            ), kept AS (
                UPDATE _registry_rows r SET {field} = hit.kept FROM hit WHERE r.registry_id = hit.registry_id
                RETURNING r.registry_id, r.row_number
            )
            SELECT min(row_number), registry_id FROM kept GROUP BY registry_id
            """,
            as_of=as_of,
        ).all()
        conflicts += [(row[0], row[1], field) for row in rows]
    for field in SETTLED_MEMBER_FIELDS:
        rows = _execute(
            f"""
            WITH locked AS ({LOCKED_HOUSEHOLDS}), hit AS (
                SELECT r.row_number, m.{field} AS kept FROM _registry_rows r
                  JOIN households h ON h.registry_id = r.registry_id JOIN locked l ON l.id = h.id
                  JOIN members m ON m.household_id = h.id AND m.nik = r.nik
                 WHERE r.{field} IS NOT NULL AND r.{field} IS DISTINCT FROM m.{field}
            ), kept AS (
                UPDATE _registry_rows r SET {field} = hit.kept FROM hit WHERE r.row_number = hit.row_number
                RETURNING r.registry_id, r.row_number
            )
            SELECT row_number, registry_id FROM kept
            """,
            as_of=as_of,
        ).all()
        conflicts += [(row[0], row[1], field) for row in rows]
    return sorted(conflicts)
