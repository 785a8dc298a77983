"""HTTP routes of the analytics API (`/api/v1/analytics/…`): period summary, drill-down, exports, programme
rules and their versions, snapshots. Thin: parameters in, the service's figures out."""

from __future__ import annotations

from flask import Blueprint, request

from server.analytics import exports, rules, service
from server.analytics import jobs as analytics_jobs
from server.analytics.schemas import (
    DrilldownQuerySchema,
    ExportJobRequestSchema,
    ExportQuerySchema,
    RuleCreateSchema,
    RuleSchema,
    RuleUpdateSchema,
    RuleVersionSchema,
    SnapshotBriefSchema,
    SnapshotCreateSchema,
    SnapshotSchema,
    SummaryExportQuerySchema,
    SummaryQuerySchema,
    VisitExportQuerySchema,
)
from server.auth.access import current_actor, require
from server.errors import FORBIDDEN, AppError
from server.http import json_body, ok
from server.jobs.routes import job_response
from server.jobs.schemas import JobEnvelopeSchema  # noqa: F401 (named in the docstrings)
from server.jobs.service import enqueue
from server.types import Role

bp = Blueprint("analytics", __name__)

STAFF = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.VIEWER)
LISTERS = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER)


@bp.get("/analytics/summary")
@require(*STAFF)
def summary():
    """Stacking, exclusion gaps and inclusion errors of a period, with Rupiah, for the area and per sub-area.
    ---
    get:
      tags: [analytics]
      summary: Aid analysis of a period
      description: Viewers see cells of fewer than 5 households suppressed. Inclusion errors from field work
        come as side `verified` (approved visits) and `settled` (accepted by the musyawarah), never mixed.
      parameters:
        - in: query
          schema: SummaryQuerySchema
      responses:
        200:
          description: The figures, the rule-set version and the time they were computed
          content:
            application/json:
              schema: SummaryResponseSchema
        404: NotFound
    """
    params = SummaryQuerySchema().load(request.args)
    actor = current_actor()
    if params["refresh"] and actor.role == Role.VIEWER:
        raise AppError(FORBIDDEN)
    return ok(
        service.summary(
            actor,
            params["period_start"],
            params["period_end"],
            params.get("region"),
            params.get("by"),
            params.get("program"),
            refresh=params["refresh"],
        )
    )


@bp.get("/analytics/households")
@require(*LISTERS)
def households():
    """The households behind one number (drill-down), by RW/RT.
    ---
    get:
      tags: [analytics]
      summary: Drill-down list
      parameters:
        - in: query
          schema: DrilldownQuerySchema
      responses:
        200:
          description: One row per household, with its programmes and Rupiah in the period
          content:
            application/json:
              schema: DrilldownResponseSchema
        404: NotFound
    """
    params = DrilldownQuerySchema().load(request.args)
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
    return ok(items, meta={"page": page, "per_page": per_page, "total": total})


@bp.get("/analytics/households/export")
@require(*LISTERS)
def export_households():
    """The whole drill-down list as CSV or XLSX (NIK and No. KK as text).
    ---
    get:
      tags: [analytics]
      summary: Export a drill-down list
      parameters:
        - in: query
          schema: ExportQuerySchema
      responses:
        200:
          description: The file
          content:
            text/csv: {schema: {type: string}}
            application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: {schema: {type: string, format: binary}}
        404: NotFound
    """
    params = ExportQuerySchema().load(request.args)
    return exports.drilldown_file(current_actor(), params)


@bp.get("/analytics/summary/export")
@require(*STAFF)
def export_summary():
    """The summary (and its sub-areas) as CSV or XLSX.
    ---
    get:
      tags: [analytics]
      summary: Export a summary
      parameters:
        - in: query
          schema: SummaryExportQuerySchema
      responses:
        200:
          description: The file
          content:
            text/csv: {schema: {type: string}}
            application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: {schema: {type: string, format: binary}}
        404: NotFound
    """
    params = SummaryExportQuerySchema().load(request.args)
    return exports.summary_file(current_actor(), params)


@bp.get("/analytics/visits/export")
@require(*LISTERS)
def export_visits():
    """All visits of the caller's area (of one campaign) as CSV (streamed) or XLSX; audited.
    ---
    get:
      tags: [analytics]
      summary: Export visits
      parameters:
        - in: query
          schema: VisitExportQuerySchema
      responses:
        200:
          description: The file (X-Total-Count = the visits in it)
          content:
            text/csv: {schema: {type: string}}
            application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: {schema: {type: string, format: binary}}
        404: NotFound
    """
    return exports.visits_file(current_actor(), VisitExportQuerySchema().load(request.args))


@bp.post("/analytics/exports")
@require(Role.ADMIN, Role.SUPERVISOR)
def start_export():
    """A city-wide list as a file, made in the background: every household with its programmes and findings
    of the period, or every visit (of a campaign); CSV or XLSX (NIK and No. KK as text).
    ---
    post:
      tags: [analytics]
      summary: Export a city-wide list in the background
      requestBody:
        required: true
        content:
          application/json:
            schema: ExportJobRequestSchema
      responses:
        202:
          description: Accepted - the export job (Location header = its URL); result.links.file downloads it
          content:
            application/json:
              schema: JobEnvelopeSchema
    """
    body = ExportJobRequestSchema().load(json_body())
    payload = {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in body.items()}
    job = enqueue(analytics_jobs.EXPORT, payload, actor=current_actor())
    return job_response(job, 202)


@bp.get("/analytics/rules")
@require(*STAFF)
def list_rules():
    """The programme rules in force (and, for admins, deactivated ones), with the current rule-set version.
    ---
    get:
      tags: [analytics]
      summary: List programme rules
      parameters:
        - {in: query, name: all, required: false, schema: {type: boolean}, description: Include deactivated}
      responses:
        200:
          description: Rules by kind
          content:
            application/json:
              schema: RuleListResponseSchema
    """
    everything = request.args.get("all", "").lower() in {"1", "true", "yes"}
    items = rules.list_rules(include_inactive=everything)
    return ok(RuleSchema(many=True).dump(items), meta={"rule_set_version": rules.current_version()})


@bp.post("/analytics/rules")
@require(Role.ADMIN)
def create_rule():
    """Add a rule (admin); audited, and the rule set gets a new version.
    ---
    post:
      tags: [analytics]
      summary: Create a programme rule
      requestBody:
        required: true
        content:
          application/json:
            schema: RuleCreateSchema
      responses:
        201:
          description: The rule and the new rule-set version
          content:
            application/json:
              schema: RuleResponseSchema
    """
    rule, version = rules.create_rule(current_actor(), RuleCreateSchema().load(json_body()))
    return ok(RuleSchema().dump(rule), 201, meta={"rule_set_version": version})


@bp.patch("/analytics/rules/<int:rule_id>")
@require(Role.ADMIN)
def update_rule(rule_id: int):
    """Change or deactivate (`active: false`) a rule (admin); audited, and the rule set gets a new version.
    ---
    patch:
      tags: [analytics]
      summary: Update a programme rule
      requestBody:
        required: true
        content:
          application/json:
            schema: RuleUpdateSchema
      responses:
        200:
          description: The rule and the rule-set version
          content:
            application/json:
              schema: RuleResponseSchema
        404: NotFound
    """
    rule, version = rules.update_rule(current_actor(), rule_id, RuleUpdateSchema().load(json_body()))
    return ok(RuleSchema().dump(rule), meta={"rule_set_version": version})


@bp.get("/analytics/rules/versions")
@require(*STAFF)
def rule_versions():
    """Every version of the rule set, newest first, each with the whole set as it then stood.
    ---
    get:
      tags: [analytics]
      summary: Rule-set versions
      responses:
        200:
          description: Versions
          content:
            application/json:
              schema: RuleVersionListResponseSchema
    """
    return ok(RuleVersionSchema(many=True).dump(rules.list_versions()))


@bp.post("/analytics/snapshots")
@require(Role.ADMIN, Role.SUPERVISOR)
def create_snapshot():
    """Freeze a summary as shown now (as-of time, rule-set version, figures).
    ---
    post:
      tags: [analytics]
      summary: Create a snapshot
      requestBody:
        required: true
        content:
          application/json:
            schema: SnapshotCreateSchema
      responses:
        201:
          description: The snapshot
          content:
            application/json:
              schema: SnapshotResponseSchema
        404: NotFound
    """
    data = SnapshotCreateSchema().load(json_body())
    snapshot = service.create_snapshot(
        current_actor(), data["title"], data["period_start"], data["period_end"], data["region"]
    )
    return ok(SnapshotSchema().dump(snapshot), 201)


@bp.get("/analytics/snapshots")
@require(*STAFF)
def list_snapshots():
    """Snapshots of areas inside the caller's, newest first (without their figures).
    ---
    get:
      tags: [analytics]
      summary: List snapshots
      responses:
        200:
          description: Snapshots
          content:
            application/json:
              schema: SnapshotListResponseSchema
    """
    items = service.list_snapshots(current_actor())
    return ok(SnapshotBriefSchema(many=True).dump(items))


@bp.get("/analytics/snapshots/<int:snapshot_id>")
@require(*STAFF)
def get_snapshot(snapshot_id: int):
    """One snapshot with the figures exactly as frozen.
    ---
    get:
      tags: [analytics]
      summary: Get a snapshot
      responses:
        200:
          description: The snapshot
          content:
            application/json:
              schema: SnapshotResponseSchema
        404: NotFound
    """
    return ok(SnapshotSchema().dump(service.require_snapshot(current_actor(), snapshot_id)))
