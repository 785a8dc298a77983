"""HTTP routes of the analytics API (`/api/v1/analytics/…`): period summary, drill-down, exports, programme
rules and their versions, snapshots. Thin: parameters in, the service's figures out."""

from __future__ import annotations

from server.analytics import exports, rules, service
from server.analytics import jobs as analytics_jobs
from server.analytics.schemas import (
    DrilldownQuerySchema,
    DrilldownResponseSchema,
    ExportJobRequestSchema,
    ExportQuerySchema,
    RuleCreateSchema,
    RuleListQuerySchema,
    RuleListResponseSchema,
    RuleResponseSchema,
    RuleUpdateSchema,
    RuleVersionListResponseSchema,
    SnapshotCreateSchema,
    SnapshotListResponseSchema,
    SnapshotResponseSchema,
    SummaryExportQuerySchema,
    SummaryQuerySchema,
    SummaryResponseSchema,
    VisitExportQuerySchema,
)
from server.api import Blueprint
from server.auth.access import current_actor, require
from server.errors import FORBIDDEN, AppError
from server.jobs.routes import job_response
from server.jobs.schemas import JobEnvelopeSchema
from server.jobs.service import enqueue
from server.types import Role

bp = Blueprint("analytics", __name__, description="Analitik bantuan / Aid analytics")

STAFF = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.VIEWER)
LISTERS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_DOC = {
    "responses": {
        "200": {
            "description": "The file: CSV (UTF-8 with BOM) or XLSX, as `format` asks",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


@bp.get("/analytics/summary")
@require(*STAFF)
@bp.arguments(SummaryQuerySchema, location="query")
@bp.response(200, SummaryResponseSchema, description="The figures, the rule-set version and when they were computed")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Aid analysis of a period")
def summary(params: dict):
    """Stacking, exclusion gaps and inclusion errors of a period, with Rupiah, for the area and per sub-area.

    Viewers see cells of fewer than 5 households suppressed. Inclusion errors from field work come as side
    `verified` (approved visits) and `settled` (accepted by the musyawarah), never mixed.
    """
    actor = current_actor()
    if params["refresh"] and actor.role == Role.VIEWER:
        raise AppError(FORBIDDEN)
    figures = service.summary(
        actor,
        params["period_start"],
        params["period_end"],
        params.get("region"),
        params.get("by"),
        params.get("program"),
        refresh=params["refresh"],
    )
    return {"data": figures}


@bp.get("/analytics/households")
@require(*LISTERS)
@bp.arguments(DrilldownQuerySchema, location="query")
@bp.response(200, DrilldownResponseSchema, description="One row per household, its programmes and Rupiah")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Drill-down list")
def households(params: dict):
    """The households behind one number (drill-down), by kelurahan, RW and RT."""
    per_page, page = params["per_page"], params["page"]
    items, total = service.drilldown(
        current_actor(),
        params["period_start"],
        params["period_end"],
        params["kind"],
        region=params.get("region"),
        side=params.get("side"),
        rule_id=params.get("rule_id"),
        program=params.get("program"),
        rt=params.get("rt"),
        rw=params.get("rw"),
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return {"data": items, "meta": {"page": page, "per_page": per_page, "total": total}}


@bp.get("/analytics/households/export")
@require(*LISTERS)
@bp.arguments(ExportQuerySchema, location="query")
@bp.response(200, content_type="text/csv", description="The file (CSV or XLSX)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Export a drill-down list", **FILE_DOC)
def export_households(params: dict):
    """The whole drill-down list as CSV or XLSX (NIK and No. KK as text); audited."""
    return exports.drilldown_file(current_actor(), params)


@bp.get("/analytics/summary/export")
@require(*STAFF)
@bp.arguments(SummaryExportQuerySchema, location="query")
@bp.response(200, content_type="text/csv", description="The file (CSV or XLSX)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Export a summary", **FILE_DOC)
def export_summary(params: dict):
    """The summary (and its sub-areas) as CSV or XLSX; the XLSX names the rules and the rule-set version."""
    return exports.summary_file(current_actor(), params)


@bp.get("/analytics/visits/export")
@require(*LISTERS)
@bp.arguments(VisitExportQuerySchema, location="query")
@bp.response(200, content_type="text/csv", description="The CSV (X-Total-Count = the visits in it)")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Export visits as CSV")
def export_visits(params: dict):
    """All visits of the caller's area (of one campaign) as CSV, made by PostgreSQL and streamed; audited.

    Their XLSX is made in the background: `POST /api/v1/analytics/exports` with `what: visits`."""
    return exports.visits_file(current_actor(), params)


@bp.post("/analytics/exports")
@require(Role.ADMIN, Role.SUPERVISOR)
@bp.arguments(ExportJobRequestSchema)
@bp.response(202, JobEnvelopeSchema, description="Accepted - the export job (Location header = its URL)")
@bp.doc(summary="Export a city-wide list in the background")
def start_export(body: dict):
    """A city-wide list as a file, made in the background: every household with its programmes and findings
    of the period, or every visit (of a campaign); CSV or XLSX (NIK and No. KK as text). When done,
    `result.links.file` downloads it."""
    payload = {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in body.items()}
    job = enqueue(analytics_jobs.EXPORT, payload, actor=current_actor())
    return job_response(job, 202)


@bp.get("/analytics/rules")
@require(*STAFF)
@bp.arguments(RuleListQuerySchema, location="query")
@bp.response(200, RuleListResponseSchema, description="Rules by kind, with the current rule-set version")
@bp.doc(summary="List programme rules")
def list_rules(params: dict):
    """The programme rules in force (with `all`, deactivated ones too) and the current rule-set version."""
    items = rules.list_rules(include_inactive=params["all"])
    return {"data": items, "meta": {"rule_set_version": rules.current_version()}}


@bp.post("/analytics/rules")
@require(Role.ADMIN)
@bp.arguments(RuleCreateSchema)
@bp.response(201, RuleResponseSchema, description="The rule and the new rule-set version")
@bp.doc(summary="Create a programme rule")
def create_rule(data: dict):
    """Add a rule (admin); audited, and the rule set gets a new version."""
    rule, version = rules.create_rule(current_actor(), data)
    return {"data": rule, "meta": {"rule_set_version": version}}


@bp.patch("/analytics/rules/<int:rule_id>")
@require(Role.ADMIN)
@bp.arguments(RuleUpdateSchema)
@bp.response(200, RuleResponseSchema, description="The rule and the rule-set version")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Update a programme rule")
def update_rule(data: dict, rule_id: int):
    """Change or deactivate (`active: false`) a rule (admin); audited, and the rule set gets a new version."""
    rule, version = rules.update_rule(current_actor(), rule_id, data)
    return {"data": rule, "meta": {"rule_set_version": version}}


@bp.get("/analytics/rules/versions")
@require(*STAFF)
@bp.response(200, RuleVersionListResponseSchema, description="Versions, newest first")
@bp.doc(summary="Rule-set versions")
def rule_versions():
    """Every version of the rule set, newest first, each with the whole set as it then stood."""
    return {"data": rules.list_versions()}


@bp.post("/analytics/snapshots")
@require(Role.ADMIN, Role.SUPERVISOR)
@bp.arguments(SnapshotCreateSchema)
@bp.response(201, SnapshotResponseSchema, description="The snapshot")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Create a snapshot")
def create_snapshot(data: dict):
    """Freeze a summary as shown now (as-of time, rule-set version, figures)."""
    snapshot = service.create_snapshot(
        current_actor(), data["title"], data["period_start"], data["period_end"], data["region"]
    )
    return {"data": snapshot}


@bp.get("/analytics/snapshots")
@require(*STAFF)
@bp.response(200, SnapshotListResponseSchema, description="Snapshots, newest first, without their figures")
@bp.doc(summary="List snapshots")
def list_snapshots():
    """Snapshots of areas inside the caller's, newest first (without their figures)."""
    return {"data": service.list_snapshots(current_actor())}


@bp.get("/analytics/snapshots/<int:snapshot_id>")
@require(*STAFF)
@bp.response(200, SnapshotResponseSchema, description="The snapshot")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Get a snapshot")
def get_snapshot(snapshot_id: int):
    """One snapshot with the figures exactly as frozen."""
    return {"data": service.require_snapshot(current_actor(), snapshot_id)}
