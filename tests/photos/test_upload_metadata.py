"""tus Upload-Metadata follows the request boundary's rule (issue 12, finding 1): a value that decodes to a
control character is refused with 422 naming the header, never stored."""

from __future__ import annotations

import base64

from tests.photos.test_uploads import _metadata, _visit_with_photo, jpeg
from tests.sync.conftest import bearer


def test_upload_metadata_with_a_nul_is_refused(sync_ctx, sync_client):
    data = jpeg()
    enumerator, item, photo = _visit_with_photo(sync_client, data)
    metadata = _metadata(photo, visit_id=item["id"]) + ",filename " + base64.b64encode(b"rumah\x00.jpg").decode()
    response = sync_client.post(
        "/api/v1/photos/uploads",
        headers=bearer(enumerator)
        | {"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)), "Upload-Metadata": metadata},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "Upload-Metadata" in response.get_json()["error"]["details"]["fields"]
