"""Analytics exports: a drill-down list and a summary as CSV (streamed, with BOM for Excel) or XLSX
(constant memory; NIK, No. KK and codes as text). Each export of household rows is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response

from server.analytics import queries, service
from server.auth.access import Actor
from server.csvout import csv_response
from server.xlsxout import xlsx_response

DRILLDOWN_COLUMNS = (
    "registry_id",
    "kk_number",
    "head_nik",
    "head_name",
    "region_code",
    "kelurahan",
    "rw",
    "rt",
    "decile",
    "registry_status",
    "verification_status",
    "programs",
    "receipts",
    "rupiah_period",
    "rupiah_month",
    "estimate",
)
TEXT_COLUMNS = ("registry_id", "kk_number", "head_nik", "region_code", "rw", "rt", "area")
SUMMARY_COLUMNS = (
    "area",
    "area_name",
    "kind",
    "side",
    "rule_id",
    "programs",
    "program",
    "households",
    "receipts",
    "rupiah_period",
    "rupiah_month",
    "rupiah_year",
    "rupiah_estimated_month",
    "unknown_amount_receipts",
    "suppressed",
)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def drilldown_rows(actor: Actor, params: dict[str, Any]) -> list[tuple]:
    items, _total = service.drilldown(
        actor,
        params["period_start"],
        params["period_end"],
        params["kind"],
        region=params.get("region"),
        side=params.get("side"),
        rule_id=params.get("rule_id"),
        program=params.get("program"),
        rt=params.get("rt"),
        rw=params.get("rw"),
        limit=None,
    )
    return [
        tuple(" ".join(item[name]) if name == "programs" else item.get(name) for name in DRILLDOWN_COLUMNS)
        for item in items
    ]


def drilldown_file(actor: Actor, params: dict[str, Any]) -> Response:
    rows = drilldown_rows(actor, params)
    name = f"analisis-{params['kind']}-{params.get('region') or 'semua'}-{_stamp()}"
    if params["format"] == "xlsx":
        return xlsx_response(
            [(params["kind"], DRILLDOWN_COLUMNS, rows)], filename=f"{name}.xlsx", text_columns=TEXT_COLUMNS
        )
    return csv_response(DRILLDOWN_COLUMNS, rows, filename=f"{name}.csv", bom=True)


def summary_rows(figures: dict[str, Any]) -> list[tuple]:
    def lines(code, name, items):
        for figure in items:
            yield (
                code,
                name,
                figure["kind"],
                figure["side"],
                figure["rule_id"],
                " ".join(figure["programs"]),
                figure["program"],
                figure["households"],
                figure["receipts"],
                figure["rupiah_period"],
                figure["rupiah_month"],
                figure["rupiah_year"],
                figure["rupiah_estimated_month"],
                figure["unknown_amount_receipts"],
                figure["suppressed"],
            )

    rows = list(lines(figures["region"] or "", "", figures["figures"]))
    for area in figures["areas"]:
        rows.extend(lines(area["code"], area["name"], area["figures"]))
    return rows


def summary_file(actor: Actor, params: dict[str, Any]) -> Response:
    figures = service.summary(
        actor,
        params["period_start"],
        params["period_end"],
        params.get("region"),
        params.get("by"),
        params.get("program"),
    )
    rows = summary_rows(figures)
    name = f"ringkasan-{params.get('region') or 'semua'}-{figures['period']['start']}-{figures['period']['end']}"
    if params["format"] == "xlsx":
        about = [
            ("periode / period", f"{figures['period']['start']} - {figures['period']['end']}"),
            ("versi aturan / rule-set version", figures["rule_set_version"]),
            ("dihitung / as of", figures["as_of"]),
            ("catatan / note", figures["note"]),
        ] + [
            (f"aturan {rule['id']} / rule", f"{rule['kind']} {' '.join(rule['programs'])}: {rule['legal_basis']}")
            for rule in figures["rules"]
        ]
        return xlsx_response(
            [("ringkasan", SUMMARY_COLUMNS, rows), ("tentang", ("item", "value"), about)],
            filename=f"{name}.xlsx",
            text_columns=TEXT_COLUMNS,
        )
    return csv_response(SUMMARY_COLUMNS, rows, filename=f"{name}.csv", bom=True)


def visits_file(actor: Actor, params: dict[str, Any]) -> Response:
    """All visits of the area (of a campaign) as CSV made by PostgreSQL (COPY) into a spooled file, then
    streamed (BOM and header first). Their XLSX is written by the export job (`jobs.EXPORT`, what=visits),
    with progress, never inside a request."""
    import tempfile

    from server.csvout import csv_chunks

    campaign_id, region = params.get("campaign_id"), params.get("region")
    name = f"kunjungan-{campaign_id or 'semua'}-{region or 'semua'}-{_stamp()}"
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - closed by the stream
    try:
        count = service.copy_visits_csv(actor, campaign_id, region, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)

    def chunks():
        try:
            yield "".join(csv_chunks(queries.VISIT_COLUMNS, [], bom=True)).encode()
            while block := spool.read(256 * 1024):
                yield block
        finally:
            spool.close()

    return Response(
        chunks(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"', "X-Total-Count": str(count)},
    )


def write_job_file(context, out_name: str, header, rows, fmt: str, total: int) -> dict[str, Any]:
    """Write a job's export into the job store (CSV or XLSX), reporting progress; returns the job's result."""
    from server.csvout import csv_chunks
    from server.jobs.storage import job_store
    from server.xlsxout import MEDIA_TYPE, write_xlsx

    store = job_store()
    written = 0

    def counted():
        nonlocal written
        for row in rows:
            yield row
            written += 1
            if written % 5000 == 0:
                context.advance(written, total)

    name = f"{out_name}.{fmt}"
    if fmt == "xlsx":
        with store.write_result(context.job_id, name, text=False) as out:
            write_xlsx(out, [(out_name[:31], header, counted())], text_columns=TEXT_COLUMNS)
        media = MEDIA_TYPE
    else:
        with store.write_result(context.job_id, name) as out:
            for chunk in csv_chunks(header, counted(), bom=True):
                out.write(chunk)
        media = "text/csv"
    context.advance(written, total)
    key = store.result_key(context.job_id, name)
    return {
        "rows": written,
        "file": {"key": key, "name": name, "media_type": media, "bytes": store.path(key).stat().st_size},
        "links": {"file": f"/api/v1/jobs/{context.job_id}/file"},
    }
