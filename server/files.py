"""Local files that survive a crash whole or not at all: keys kept inside their store, atomic writes (a
temporary file in the target folder, fsync, rename, fsync of the folder). Used by the photo and job stores."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def path_in_store(root: Path, key: str) -> Path:
    """The file of `key` under `root`; a key that would lead outside it (`../`) is refused."""
    path = (root / key).resolve()
    if root.resolve() not in path.parents:
        raise ValueError("key outside the store")
    return path


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@contextmanager
def atomic_open(target: Path, mode: str = "wb") -> Iterator[IO]:
    """Write `target` through a temporary file renamed over it only when the writing finished."""
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
    fsync_dir(target.parent)
