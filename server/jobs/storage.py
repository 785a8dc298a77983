"""Where job files live: uploads waiting for a worker (`uploads/<job id>`) and results (`results/<job id>/<name>`).

A local folder (JOB_STORE) that the web processes and the workers share (one machine, or a shared volume
in docker-compose). Writes are atomic: a temporary file in the target folder, fsync, rename, fsync of the
folder, so a reader sees the whole file or none, never half of one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from flask import current_app


class JobStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("job store key outside the store")
        return path

    @contextmanager
    def _atomic(self, key: str, mode: str = "wb") -> Iterator[IO]:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, mode, **({"encoding": "utf-8", "newline": ""} if "b" not in mode else {})) as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def save_upload(self, job_id: uuid.UUID, source: IO[bytes] | bytes) -> str:
        """Keep an uploaded file until the job's worker reads it; returns its key."""
        key = f"uploads/{job_id}"
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
