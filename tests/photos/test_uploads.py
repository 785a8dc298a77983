"""Photo uploads over tus: a real tuspy client against a live server, resumed after an interruption at a
random offset; refusals (wrong hash, fake JPEG, oversize, bad offset or chunk checksum) leave nothing
behind; either order of visit and photo; EXIF kept; S3-compatible storage against moto's server."""

from __future__ import annotations

import base64
import hashlib
import io
import random
import threading
import uuid
from pathlib import Path

import boto3
import pytest
import sqlalchemy as sa
from PIL import Image
from tusclient import client as tus_client
from werkzeug.serving import make_server

from server.extensions import db
from server.photos.models import Photo, UploadSession
from tests.factories import make_household, make_user
from tests.sync.conftest import assign, bearer, campaign
from tests.visits.test_push import visit_item


def jpeg(width=64, height=48, *, seed=1, exif=None) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(width * height)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "GIF")
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(sync_app, tmp_path):
    original, sync_app.config["PHOTO_STORE"] = sync_app.config["PHOTO_STORE"], str(tmp_path / "store")
    yield tmp_path / "store"
    sync_app.config["PHOTO_STORE"] = original


@pytest.fixture
def live_url(sync_app):
    server = make_server("127.0.0.1", 0, sync_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _visit_with_photo(client, data: bytes, *, push=True):
    enumerator = make_user("enumerator")
    household = make_household()
    assign(campaign(), [household], enumerator)
    db.session.commit()
    photo = {"id": str(uuid.uuid4()), "kind": "house_front", "sha256": sha(data)}
    item = visit_item(household, photos=[photo])
    if push:
        response = client.post("/api/v1/sync/push", json={"items": [item]}, headers=bearer(enumerator))
        assert response.get_json()["data"]["results"][0]["visit"]["missing_photos"] == [photo["id"]]
    return enumerator, item, photo


def _metadata(photo, visit_id=None, sha256=None) -> str:
    values = {
        "photo_id": photo["id"],
        "sha256": sha256 or photo["sha256"],
        "kind": photo["kind"],
        "filetype": "image/jpeg",
    }
    if visit_id:
        values["visit_id"] = visit_id
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def _create(client, user, photo, length, **metadata):
    return client.post(
        "/api/v1/photos/uploads",
        headers=bearer(user)
        | {"Tus-Resumable": "1.0.0", "Upload-Length": str(length), "Upload-Metadata": _metadata(photo, **metadata)},
    )


def _patch(client, user, location, offset, body, **headers):
    return client.patch(
        location,
        data=body,
        headers=bearer(user)
        | {"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
        | headers,
    )


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _photo(photo_id: str) -> Photo:
    db.session.expire_all()
    return db.session.get(Photo, uuid.UUID(photo_id))


def test_tuspy_upload_interrupted_at_a_random_offset_resumes_to_the_exact_bytes(sync_ctx, sync_client, store, live_url):
    data = jpeg(320, 240, seed=7)
    enumerator, _item, photo = _visit_with_photo(sync_client, data)
    tus = tus_client.TusClient(f"{live_url}/api/v1/photos/uploads", headers=bearer(enumerator))
    metadata = {"photo_id": photo["id"], "sha256": photo["sha256"], "kind": photo["kind"]}
    cut = random.Random().randint(1, len(data) - 1)
    first = tus.uploader(file_stream=io.BytesIO(data), chunk_size=cut, metadata=metadata, upload_checksum=True)
    first.upload_chunk()  # the phone loses its connection after this chunk
    assert first.offset == cut and _photo(photo["id"]).uploaded_at is None

    resumed = tus.uploader(file_stream=io.BytesIO(data), url=first.url, chunk_size=4096, upload_checksum=True)
    assert resumed.get_offset() == cut
    resumed.upload()
    stored = _photo(photo["id"])
    assert stored.uploaded_at is not None and stored.size_bytes == len(data) and stored.media_type == "image/jpeg"
    original = store / stored.storage_key
    assert sha(original.read_bytes()) == photo["sha256"] and (store / stored.thumbnail_key).exists()
    assert not list((store / "uploads").iterdir())


def test_a_photo_may_arrive_before_its_visit(sync_ctx, sync_client, store):
    data = jpeg(seed=3)
    enumerator, item, photo = _visit_with_photo(sync_client, data, push=False)
    created = _create(sync_client, enumerator, photo, len(data), visit_id=item["id"])
    assert created.status_code == 201 and created.headers["Tus-Resumable"] == "1.0.0"
    done = _patch(sync_client, enumerator, created.headers["Location"], 0, data)
    assert done.status_code == 204 and done.headers["Upload-Offset"] == str(len(data))
    result = sync_client.post("/api/v1/sync/push", json={"items": [item]}, headers=bearer(enumerator))
    assert result.get_json()["data"]["results"][0]["visit"]["missing_photos"] == []
    assert _photo(photo["id"]).uploaded_at is not None


def test_uploading_the_same_photo_again_changes_nothing(sync_ctx, sync_client, store):
    data = jpeg(seed=4)
    enumerator, _item, photo = _visit_with_photo(sync_client, data)
    for _ in range(2):
        created = _create(sync_client, enumerator, photo, len(data))
        assert _patch(sync_client, enumerator, created.headers["Location"], 0, data).status_code == 204
    assert len([p for p in _files(store) if "/photos/" in str(p)]) == 1
    assert _photo(photo["id"]).uploaded_at is not None


@pytest.mark.parametrize(
    ("body", "declared", "status", "code"),
    [
        (jpeg(seed=5), sha(b"something else"), 422, "photo.hash_mismatch"),
        (b"ini teks biasa, bernama foto.jpg" * 10, None, 415, "photo.unsupported_type"),
        (_gif(), None, 415, "photo.unsupported_type"),
        (b"\xff\xd8\xff\xe0 potongan jpeg palsu" * 10, None, 422, "photo.invalid_image"),
    ],
)
def test_refused_photos_leave_nothing_behind(sync_ctx, sync_client, store, body, declared, status, code):
    enumerator = make_user("enumerator")
    db.session.commit()
    photo = {"id": str(uuid.uuid4()), "kind": "kitchen", "sha256": declared or sha(body)}
    created = _create(sync_client, enumerator, photo, len(body))
    refused = _patch(sync_client, enumerator, created.headers["Location"], 0, body)
    assert refused.status_code == status and refused.get_json()["error"]["code"] == code
    assert _files(store) == []
    sessions = db.session.execute(sa.select(UploadSession).where(UploadSession.user_id == enumerator.id)).all()
    assert sessions == []


def test_protocol_errors_offset_checksum_size_version_and_termination(sync_ctx, sync_client, store):
    data = jpeg(seed=6)
    enumerator, _item, photo = _visit_with_photo(sync_client, data)
    too_big = _create(sync_client, enumerator, photo, 10**9)
    assert too_big.status_code == 413 and too_big.get_json()["error"]["code"] == "upload.too_large"
    location = _create(sync_client, enumerator, photo, len(data)).headers["Location"]
    wrong_offset = _patch(sync_client, enumerator, location, 5, data[5:10])
    assert wrong_offset.status_code == 409 and wrong_offset.get_json()["error"]["details"]["expected_offset"] == 0
    bad_sum = base64.b64encode(hashlib.sha1(b"lain").digest()).decode()
    checksum = _patch(sync_client, enumerator, location, 0, data[:100], **{"Upload-Checksum": f"sha1 {bad_sum}"})
    assert checksum.status_code == 460
    good_sum = base64.b64encode(hashlib.sha256(data[:100]).digest()).decode()
    assert (
        _patch(
            sync_client, enumerator, location, 0, data[:100], **{"Upload-Checksum": f"sha256 {good_sum}"}
        ).status_code
        == 204
    )
    head = sync_client.head(location, headers=bearer(enumerator) | {"Tus-Resumable": "1.0.0"})
    assert head.headers["Upload-Offset"] == "100" and head.headers["Cache-Control"] == "no-store"
    old_client = sync_client.head(location, headers=bearer(enumerator) | {"Tus-Resumable": "0.2.2"})
    assert old_client.status_code == 412 and old_client.headers["Tus-Version"] == "1.0.0"
    other = make_user("enumerator")
    db.session.commit()
    assert sync_client.head(location, headers=bearer(other) | {"Tus-Resumable": "1.0.0"}).status_code == 404
    assert sync_client.delete(location, headers=bearer(enumerator) | {"Tus-Resumable": "1.0.0"}).status_code == 204
    assert sync_client.head(location, headers=bearer(enumerator) | {"Tus-Resumable": "1.0.0"}).status_code == 404
    assert _files(store) == []
    options = sync_client.options("/api/v1/photos/uploads")
    assert options.status_code == 204 and "checksum" in options.headers["Tus-Extension"]


def test_exif_time_and_position_kept_and_thumbnail_upright(sync_ctx, sync_client, store):
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was held sideways
    exif.get_ifd(0x8769)[36867] = "2026:11:28 09:10:00"
    exif.get_ifd(0x8825).update({1: "S", 2: (0.0, 30.0, 0.0), 3: "E", 4: (117.0, 9.0, 0.0)})
    data = jpeg(80, 40, exif=exif)
    enumerator, _item, photo = _visit_with_photo(sync_client, data)
    location = _create(sync_client, enumerator, photo, len(data)).headers["Location"]
    assert _patch(sync_client, enumerator, location, 0, data).status_code == 204
    stored = _photo(photo["id"])
    assert (stored.width, stored.height) == (40, 80)
    assert stored.exif_taken_at.isoformat() == "2026-11-28T01:10:00+00:00"
    lon, lat = db.session.execute(
        sa.select(sa.func.ST_X(Photo.exif_location), sa.func.ST_Y(Photo.exif_location)).where(Photo.id == stored.id)
    ).one()
    assert (round(lon, 4), round(lat, 4)) == (117.15, -0.5)
    thumbnail = Image.open(store / stored.thumbnail_key)
    assert thumbnail.height > thumbnail.width
    assert sha((store / stored.storage_key).read_bytes()) == photo["sha256"]  # the original is untouched


def test_decompression_bombs_are_refused(sync_app, sync_ctx, sync_client, store):
    data = jpeg(200, 200, seed=9)
    enumerator = make_user("enumerator")
    db.session.commit()
    photo = {"id": str(uuid.uuid4()), "kind": "other", "sha256": sha(data)}
    sync_app.config["PHOTO_MAX_PIXELS"] = 1000
    try:
        location = _create(sync_client, enumerator, photo, len(data)).headers["Location"]
        refused = _patch(sync_client, enumerator, location, 0, data)
    finally:
        sync_app.config["PHOTO_MAX_PIXELS"] = 50_000_000
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "photo.invalid_image"
    assert _files(store) == []


def test_staff_in_the_area_see_photos_viewers_and_other_enumerators_do_not(sync_ctx, sync_client, store):
    data = jpeg(seed=11)
    enumerator, _item, photo = _visit_with_photo(sync_client, data)
    location = _create(sync_client, enumerator, photo, len(data)).headers["Location"]
    _patch(sync_client, enumerator, location, 0, data)
    reviewer, viewer, other = make_user("reviewer", ["64.72"]), make_user("viewer", ["64.72"]), make_user("enumerator")
    far_reviewer = make_user("reviewer", ["64.72.02"])
    db.session.commit()
    url = f"/api/v1/photos/{photo['id']}"
    assert sync_client.get(url, headers=bearer(reviewer)).data == data
    assert sync_client.get(url + "/thumbnail", headers=bearer(enumerator)).mimetype == "image/jpeg"
    assert sync_client.get(url, headers=bearer(viewer)).status_code == 403
    assert sync_client.get(url, headers=bearer(other)).status_code == 404
    assert sync_client.get(url, headers=bearer(far_reviewer)).status_code == 404


def test_s3_compatible_storage_against_motos_server(sync_app, sync_ctx, sync_client, store):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    credentials = {"AWS_ACCESS_KEY_ID": "uji", "AWS_SECRET_ACCESS_KEY": "uji"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in credentials.items():
            patch.setenv(name, value)
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="verval-foto")
        sync_app.config.update(PHOTO_S3_BUCKET="verval-foto", PHOTO_S3_ENDPOINT=endpoint)
        try:
            data = jpeg(seed=12)
            enumerator, _item, photo = _visit_with_photo(sync_client, data)
            location = _create(sync_client, enumerator, photo, len(data)).headers["Location"]
            assert _patch(sync_client, enumerator, location, 0, data).status_code == 204
            stored = _photo(photo["id"])
            s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
            body = s3.get_object(Bucket="verval-foto", Key=stored.storage_key)["Body"].read()
            assert sha(body) == photo["sha256"]
            assert [p for p in _files(store) if "/photos/" in str(p)] == []
        finally:
            sync_app.config.update(PHOTO_S3_BUCKET="", PHOTO_S3_ENDPOINT=None)
            server.stop()
