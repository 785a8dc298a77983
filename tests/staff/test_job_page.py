"""The job page (`/staff/tugas/<id>`): who started it and when, the progress bar while it runs (and the page
polling itself), the result with its counts in words, or the reason it failed in words with what to do next;
others' jobs are not found."""

from __future__ import annotations

from datetime import UTC, datetime

from server.errors import JOB_WORKER_LOST
from server.households.jobs import EXPORT
from server.imports.jobs import REGISTRY
from server.jobs.models import Job
from server.jobs.service import error_of
from tests.factories import make_user


def test_running_failed_and_someone_elses_job(client, staff_login, db_session):
    supervisor = make_user("supervisor", ["64.72.01"], username="tugas-pengawas")
    now = datetime.now(UTC)
    running = Job(kind=REGISTRY, state="running", payload={}, created_by_id=supervisor.id, started_at=now,
                  heartbeat_at=now, attempts=1, progress_done=1234, progress_total=4000)  # fmt: skip
    failed = Job(kind=EXPORT, state="failed", payload={}, created_by_id=supervisor.id, attempts=1,
                 error=error_of(JOB_WORKER_LOST))  # fmt: skip
    counts = {"households_inserted": 1200, "rows_rejected": 3, "sha": 1, "warnings": 0}  # no words, or 0: left out
    done = Job(kind=REGISTRY, state="done", payload={}, created_by_id=supervisor.id, attempts=1,
               result={"import_id": 1, "counts": counts})  # fmt: skip
    other = Job(kind=EXPORT, state="done", payload={}, created_by_id=make_user("supervisor", ["64.72.01"]).id)
    db_session.add_all([running, failed, done, other])
    db_session.flush()
    token = staff_login(client, supervisor)

    page = client.get(f"/staff/tugas/{running.id}").text
    assert "Impor registri" in page and "oleh tugas-pengawas" in page and "Sedang berjalan." in page
    assert '<progress max="4000" value="1234"' in page and 'hx-trigger="every 2s"' in page
    assert "1.234 / 4.000" in page

    page = client.get(f"/staff/tugas/{failed.id}").text
    assert "Gagal: Pekerja latar berhenti di tengah tugas; tidak ada data yang diubah" in page
    assert "Mulai lagi dari halaman asalnya" in page and "hx-trigger" not in page

    page = client.get(f"/staff/tugas/{done.id}").text  # the result's counts in words
    assert "Selesai." in page and '1.200</span><span class="label">rumah tangga baru' in page
    assert "baris ditolak" in page and "Lihat hasil impor" in page and "sha" not in page and "peringatan" not in page
    assert page.index("baris ditolak") < page.index("rumah tangga baru")  # the file's rows first, as the report

    assert client.get(f"/staff/tugas/{other.id}").status_code == 404

    client.post("/staff/bahasa", data={"lang": "en", "next": "/staff/beranda", "csrf_token": token})
    english = client.get(f"/staff/tugas/{failed.id}").text
    assert "Started" in english and "The background worker stopped mid-job" in english and "tell an admin" in english
