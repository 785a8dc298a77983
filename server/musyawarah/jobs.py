"""The musyawarah's background jobs: a kelurahan's package (rows, lists XLSX, berita acara PDF) and the city
rekap (XLSX + PDF from a frozen snapshot of every round)."""

from __future__ import annotations

from typing import Any

from server.jobs.kinds import JobContext, job_kind
from server.musyawarah import service
from server.musyawarah.rekap import REKAP, generate_rekap


@job_kind(
    service.PACKAGE,
    title="Paket musyawarah kelurahan (daftar + berita acara) / Kelurahan musyawarah package",
    phases=("building", "lists", "berita_acara"),
)
def package(context: JobContext) -> dict[str, Any]:
    return service.generate_package(
        context.actor, int(context.payload["round_id"]), context.job_id, progress=lambda phase: context.phase(phase)
    )


@job_kind(REKAP, title="Rekap musyawarah kota (XLSX + PDF) / City musyawarah summary", phases=("snapshot", "writing"))
def rekap(context: JobContext) -> dict[str, Any]:
    return generate_rekap(
        context.actor,
        int(context.payload["campaign_id"]),
        context.payload["region"],
        context.job_id,
        progress=lambda phase: context.phase(phase),
    )
