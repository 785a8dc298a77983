"""Where job files live: uploads waiting for a worker (`uploads/<job id>`) and results (`results/<job id>/<name>`).

A local folder (JOB_STORE) that the web processes and the workers share (one machine, or a shared volume
in docker-compose). Writes are atomic: a temporary file in the target folder, fsync, rename, fsync of the
folder, so a reader sees the whole file or none, never half of one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from flask import Request, current_app

from server.files import atomic_open, fsync_dir, path_in_store

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class JobStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return path_in_store(self.root, key)

    def _atomic(self, key: str, mode: str = "wb"):
        return atomic_open(self.path(key), mode)

    def spool_dir(self) -> str:
        """Where the form parser writes an upload's bytes as they arrive (see SpoolingRequest), so that
        keeping the file for its job is a rename, not a second copy of a city-sized file."""
        folder = self.root / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)

    def save_upload(self, job_id: uuid.UUID, source: IO[bytes] | bytes) -> str:
        """Keep an uploaded file until the job's worker reads it; returns its key. A file the form parser
        already spooled into this store is fsynced and renamed; anything else is copied."""
        key = f"uploads/{job_id}"
        spooled = getattr(source, "name", None)
        if isinstance(spooled, str) and Path(spooled).parent.resolve() == self.path(key).parent:
            source.flush()
            os.fsync(source.fileno())
            os.replace(spooled, self.path(key))
            fsync_dir(self.path(key).parent)
            return key
        with self._atomic(key) as out:
            if isinstance(source, bytes | bytearray):
                out.write(source)
            else:
                shutil.copyfileobj(source, out, 1024 * 1024)
        return key

    @contextmanager
    def write_result(self, job_id: uuid.UUID, filename: str, *, text: bool = True) -> Iterator[IO]:
        """A file handle for a job's result; the file appears under its name only when the block succeeds."""
        with self._atomic(f"results/{job_id}/{filename}", "w" if text else "wb") as out:
            yield out

    def result_key(self, job_id: uuid.UUID, filename: str) -> str:
        return f"results/{job_id}/{filename}"

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def delete(self, key: str | None) -> None:
        if not key:
            return
        path = self.path(key)
        path.unlink(missing_ok=True)
        if path.parent != self.root.resolve() and path.parent.name != "uploads":
            with suppress(OSError):
                path.parent.rmdir()  # the job's results folder, once empty

    def delete_results(self, job_id: uuid.UUID) -> None:
        """Whatever a job that did not finish wrote (its result folder)."""
        shutil.rmtree(self.path(f"results/{job_id}"), ignore_errors=True)

    # --- uploads in parts (a city's file in 5 MB requests; the request that starts the job then carries none)
    def partial_path(self, owner_id: int, upload_id: uuid.UUID) -> Path:
        return Path(self.spool_dir()) / f".partial-{owner_id}-{upload_id}"

    def create_partial(self, owner_id: int) -> uuid.UUID:
        upload_id = uuid.uuid4()
        self.partial_path(owner_id, upload_id).touch(exist_ok=False)
        return upload_id

    def partial_size(self, owner_id: int, upload_id: uuid.UUID) -> int | None:
        path = self.partial_path(owner_id, upload_id)
        return path.stat().st_size if path.exists() else None

    def append_partial(self, owner_id: int, upload_id: uuid.UUID, source: IO[bytes]) -> int:
        """Append a part (the caller checked the offset) and fsync it; returns the new size."""
        with self.partial_path(owner_id, upload_id).open("ab") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
            return out.tell()

    def stale_incoming(self, older_than_seconds: float) -> int:
        """Delete spooled or half-written files of requests that never got as far as their job, and uploads in
        parts left unfinished for a day; returns how many."""
        removed = 0
        now = time.time()
        for pattern, age in ((".incoming-*", older_than_seconds), (".partial-*", 24 * 3600)):
            for path in self.root.rglob(pattern):
                if now - path.stat().st_mtime > age:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def keys(self, folder: str) -> Iterator[tuple[str, float]]:
        """(key, modification time) of every file under `folder` (uploads or results)."""
        base = self.root / folder
        if not base.exists():
            return
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith(".incoming-"):
                yield str(path.relative_to(self.root)), path.stat().st_mtime


def job_store() -> JobStore:
    """The configured store (built per call: cheap, and tests switch configuration)."""
    return JobStore(current_app.config["JOB_STORE"])


class SpoolingRequest(Request):
    """The app's request class: when a route sets `spool_dir` before the form is parsed, uploaded files are
    written there as they arrive (named `.incoming-*`), instead of to the system's temporary folder."""

    spool_dir: str | None = None

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None) -> IO[bytes]:
        if self.spool_dir is None:
            return super()._get_file_stream(total_content_length, content_type, filename, content_length)
        spooled = tempfile.NamedTemporaryFile("w+b", dir=self.spool_dir, prefix=".incoming-", delete=False)  # noqa: SIM115 (the form parser owns it)
        self.__dict__.setdefault("_spooled", []).append(spooled.name)
        return spooled

    def spool_body(self) -> IO[bytes]:
        """The request body itself as an uploaded file (raw-body uploads), spooled like a form's file."""
        spooled = self._get_file_stream(self.content_length, self.mimetype)
        shutil.copyfileobj(self.stream, spooled, 1024 * 1024)
        spooled.seek(0)
        return spooled

    def consume_on_close(self, path: Path) -> None:
        """Delete `path` at the end of the request unless a job adopted (renamed) it first."""
        self.__dict__.setdefault("_spooled", []).append(str(path))

    def close(self) -> None:
        """At the end of the request: a spooled file no job adopted (refused request, dry run) is deleted."""
        super().close()
        for name in self.__dict__.get("_spooled", []):
            Path(name).unlink(missing_ok=True)
