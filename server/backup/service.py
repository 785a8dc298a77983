"""`flask backup create` / `flask backup restore`: one folder holding a consistent database dump, every
stored photo (originals and thumbnails, read through the configured store, local or S3) and a manifest.

Consistency: the list of photos and the dump come from the same snapshot. A REPEATABLE READ transaction
exports its snapshot (`pg_export_snapshot()`), reads the photo keys, and `pg_dump --snapshot` dumps exactly
what that transaction sees while it stays open. Photos are content-addressed and never rewritten, so copying
them afterwards copies what the dump refers to (a photo stored later is simply not in this backup).

Layout of a backup folder:
    manifest.json     when, which migration, counts, each photo's key and SHA-256, the dump's SHA-256
    database.dump     pg_dump custom format (no owners or grants: restorable into any database)
    photos/<key>      the photo store's objects under their own keys

Restore checks the dump and every photo against the manifest before writing anything, refuses a target
database that already has tables, then runs pg_restore and puts the photos into the configured store.
The backup holds personal data: keep it encrypted at rest and where only operators can read it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from server.extensions import db
from server.photos.storage import photo_storage

FORMAT = 1
PHOTO_KEYS = sa.text(
    """
    SELECT storage_key AS key, sha256 FROM photos WHERE storage_key IS NOT NULL
    UNION
    SELECT thumbnail_key, NULL FROM photos WHERE thumbnail_key IS NOT NULL
    ORDER BY 1
    """
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (never with personal data)."""


def create_backup(target: Path) -> dict[str, Any]:
    """Writes a backup into the new folder `target`; returns its manifest."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} exists and is not empty")
    target.mkdir(parents=True, exist_ok=True)
    engine = db.engine
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        photos = [dict(row._mapping) for row in connection.execute(PHOTO_KEYS)]
        visits = connection.execute(sa.text("SELECT count(*) FROM visits")).scalar_one()
        households = connection.execute(sa.text("SELECT count(*) FROM households")).scalar_one()
        migration = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
             f"--file={target / 'database.dump'}", "--dbname", _libpq_url(engine.url)],
            engine.url,
        )  # fmt: skip
        connection.rollback()
    store = photo_storage()
    for photo in photos:
        destination = _photo_path(target, photo["key"])
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(store.read(photo["key"]))
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "migration": migration,
        "households": households,
        "visits": visits,
        "database_sha256": _sha256_file(target / "database.dump"),
        "photos": photos,
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def restore_backup(source: Path, database_url: str) -> dict[str, Any]:
    """Restores `source` into the empty database at `database_url` and the configured photo store."""
    manifest = verify_backup(source)
    url = make_url(database_url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                sa.text("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
            ).scalar_one()
        if tables:
            raise BackupError("the target database is not empty: restore into a new database")
        _run(
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             "--dbname", _libpq_url(url), str(source / "database.dump")],
            url,
        )  # fmt: skip
        with engine.connect() as connection:
            visits = connection.execute(sa.text("SELECT count(*) FROM visits")).scalar_one()
    finally:
        engine.dispose()
    store = photo_storage()
    for photo in manifest["photos"]:
        store.put(photo["key"], _photo_path(source, photo["key"]), "image/jpeg")
    return {"visits": visits, "photos": len(manifest["photos"]), "migration": manifest["migration"]}


def verify_backup(source: Path) -> dict[str, Any]:
    """The manifest, after checking the dump's and every original photo's SHA-256 against it."""
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"no readable manifest.json in {source}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    if _sha256_file(source / "database.dump") != manifest["database_sha256"]:
        raise BackupError("database.dump does not match its SHA-256 in the manifest")
    for photo in manifest["photos"]:
        path = _photo_path(source, photo["key"])
        if not path.is_file():
            raise BackupError(f"photo {photo['key']} is missing from the backup")
        if photo["sha256"] and _sha256_file(path) != photo["sha256"]:
            raise BackupError(f"photo {photo['key']} does not match its SHA-256")
    return manifest


def _photo_path(root: Path, key: str) -> Path:
    path = (root / "photos" / key).resolve()
    if (root / "photos").resolve() not in path.parents:
        raise BackupError("a photo key points outside the backup")
    return path


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq_url(url: sa.URL) -> str:
    """The URL as libpq reads it: no SQLAlchemy driver suffix, no password (that goes in PGPASSWORD)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _tool(name: str) -> str:
    """pg_dump/pg_restore: the newest installed PostgreSQL's own, else whatever is on PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for folder in versions:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return found


def _run(command: list[str], url: sa.URL) -> None:
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    with tempfile.TemporaryFile() as errors:
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=errors, check=False)
        if done.returncode:
            errors.seek(0)
            # The tools' messages name objects, not row values; keep only the last lines.
            tail = errors.read().decode(errors="replace").strip().splitlines()[-3:]
            raise BackupError(f"{Path(command[0]).name} failed: {' | '.join(tail)}")
