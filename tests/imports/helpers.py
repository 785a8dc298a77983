"""Following an import through its job (jobs run inline in tests): the 202, the job, then the report."""

from __future__ import annotations


def job_of(response) -> dict:
    """The job a 202 answered with (after its Location header and body agree)."""
    assert response.status_code == 202, response.get_json()
    job = response.get_json()["data"]
    assert response.headers["Location"] == job["links"]["self"] == f"/api/v1/jobs/{job['id']}"
    return job


def report_of(client, headers, response) -> dict:
    """The import report of a finished import job, fetched by the links the job gives."""
    job = client.get(job_of(response)["links"]["self"], headers=headers).get_json()["data"]
    assert job["state"] == "done", job
    report = client.get(job["result"]["links"]["report"], headers=headers)
    assert report.status_code == 200
    return report.get_json()["data"]
