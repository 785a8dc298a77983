"""rejections.csv on a database where requests really commit (as in production): its rows are read while the
answer streams, after the request's commit expired the import object and its session was closed; found by
schemathesis (DetachedInstanceError), invisible to tests whose session outlives the request."""

import csv
import io

from werkzeug.test import Client

from server.extensions import db
from tests.factories import make_user
from tests.imports.test_hostile_files import HEADER, _row
from tests.sync.conftest import bearer


def test_rejections_csv_streams_after_the_request_has_committed(sync_ctx, sync_client):
    admin = make_user("admin")
    db.session.commit()
    headers = bearer(admin)
    text = HEADER + "\n" + _row("STREAM-01", "6472011705800000", "Tanpa NIK sah") + "\n"
    response = sync_client.post(
        "/api/v1/imports/registry?dry_run=true",
        data={"file": (io.BytesIO(text.encode()), "stream.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()  # a small dry run answers at once
    # A plain WSGI client, as gunicorn calls the app: no Flask test-client context kept around the body.
    download = Client(sync_ctx).get(response.get_json()["data"]["rejections_csv"], headers=headers)
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["registry_id"] for row in rows] == ["STREAM-01"]
