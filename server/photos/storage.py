"""Where photo bytes live: a local folder by default, an S3-compatible bucket when configured.

Keys are content-addressed (`photos/ab/cd/<sha256>.jpg`), so storing the same photo twice writes nothing
new. The local store writes atomically: a temporary file in the same folder, fsync, rename, fsync of the
folder, so a crash leaves either the whole photo or nothing, never half a file under the final name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from flask import current_app

from server.files import atomic_open, path_in_store


class PhotoStorage(Protocol):
    def put(self, key: str, source: Path, media_type: str) -> None: ...

    def read(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


class LocalStorage:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return path_in_store(self.root, key)

    def put(self, key: str, source: Path, media_type: str) -> None:
        target = self._path(key)
        if target.exists():
            return
        with atomic_open(target) as out, source.open("rb") as data:
            while chunk := data.read(1024 * 1024):
                out.write(chunk)

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()


class S3Storage:
    def __init__(self, bucket: str, endpoint_url: str | None, region: str | None) -> None:
        import boto3

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region or "us-east-1")

    def put(self, key: str, source: Path, media_type: str) -> None:
        if self.exists(key):
            return
        # A PUT is atomic in S3: readers see the old state or the whole new object.
        with source.open("rb") as data:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=media_type)

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


def photo_storage() -> PhotoStorage:
    """The configured store (built per call: cheap, and tests switch configuration)."""
    config = current_app.config
    if config.get("PHOTO_S3_BUCKET"):
        return S3Storage(config["PHOTO_S3_BUCKET"], config.get("PHOTO_S3_ENDPOINT"), config.get("PHOTO_S3_REGION"))
    return LocalStorage(config["PHOTO_STORE"])


def upload_dir() -> Path:
    """Partial uploads always stay on local disk (they are appended to chunk by chunk)."""
    path = Path(current_app.config["PHOTO_STORE"]) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path
