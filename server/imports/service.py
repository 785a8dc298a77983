"""Import use cases: run a registry or aid import, record it (who, when, file hash, counts), keep its
rejections, and audit it. Services flush only; the route (or the CLI command) commits."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Any

from server.audit.service import record
from server.auth.access import Actor, region_in_scope
from server.errors import NOT_FOUND, PROPOSAL_DECIDED, VALIDATION, AppError, validation_error
from server.extensions import db
from server.history import queries as history_queries
from server.imports import queries
from server.imports.aid import run_aid_import
from server.imports.models import AidMatchProposal, DataImport
from server.imports.reader import FileRejected
from server.imports.registry import Progress, run_registry_import
from server.pagination import order_named, page_of


def file_rejected(rejected: FileRejected) -> AppError:
    """The 422 for a file that cannot be read as a whole: `details.fields.file` names the problem."""
    return AppError(VALIDATION, rejected.message, details={"fields": {"file": [rejected.message]}, **rejected.details})


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_not_empty(data: bytes) -> None:
    if not data.strip():
        raise validation_error({"file": ["Berkas kosong / empty file"]})


def check_period(period_start: date, period_end: date) -> None:
    if period_end < period_start:
        raise validation_error({"period_end": ["Harus sesudah period_start / must not be before period_start"]})


def import_registry(
    data: bytes,
    filename: str,
    *,
    actor: Actor | None,
    dry_run: bool,
    progress: Progress | None = None,
    as_of: date | None = None,
) -> DataImport:
    """Validate and load a registry file; returns the DataImport record (counts, rejections stored).
    `as_of`: the file's extract date (older than a settled change: that change is kept and listed)."""
    check_not_empty(data)
    token = f"pending:{uuid.uuid4()}"
    try:
        report = run_registry_import(
            data, actor=actor, dry_run=dry_run, progress=progress, as_of=as_of, source_id=token
        )
    except FileRejected as rejected:
        raise file_rejected(rejected) from rejected
    counts: dict[str, Any] = dict(report.counts)
    counts["encoding"] = report.encoding or "xlsx"
    imported = queries.add_import(
        kind="registry",
        filename=filename[:255],
        sha256=sha256_of(data),
        actor_id=actor.user_id if actor else None,
        dry_run=dry_run,
        counts=counts,
    )
    queries.add_rejections(import_id=imported.id, rejections=report.rejections + report.warnings)
    if not dry_run:
        history_queries.set_source_id(source_kind="import", old=token, new=str(imported.id))
    record(
        "import.registry" + (".dry_run" if dry_run else ""),
        object_type="data_import",
        object_id=imported.id,
        changes={"counts": {key: value for key, value in counts.items() if isinstance(value, int)}},
        actor_username=None if actor else "cli",
    )
    return imported


def list_imports(actor: Actor, *, limit: int = 200) -> list[DataImport]:
    """The newest imports the actor may see: admins all, others their own."""
    return queries.list_imports(actor_id=None if actor.is_admin else actor.user_id, limit=limit)


def imports_page(
    actor: Actor, sort: str | None, cursor: str | None, *, limit: int = 50
) -> tuple[list[DataImport], str | None]:
    """A page of the imports the actor may see (admins all, others their own) in a whitelisted order
    (queries.IMPORT_ORDERS), and the cursor of the next one."""
    keyset = order_named(queries.IMPORT_ORDERS, sort, "time")
    rows = queries.imports_page(
        actor_id=None if actor.is_admin else actor.user_id, keyset=keyset, after=keyset.after(cursor), limit=limit
    )
    page, next_cursor = page_of(rows, keyset, limit)
    return [row.DataImport for row in page], next_cursor


def require_import(import_id: int) -> DataImport:
    imported = queries.get_import(import_id=import_id)
    if imported is None:
        raise AppError(NOT_FOUND)
    return imported


def _item(item) -> dict[str, Any]:
    return {
        "row": item.row_number,
        "column": item.column,
        "registry_id": item.record_key,
        "code": item.code,
        "reason": item.reason,
    }


def import_report(imported: DataImport, *, rejection_limit: int = 100) -> dict[str, Any]:
    """Counts, the first rejections and the first warnings (codes `warning.*`: applied, but worth a look)."""
    rejections = queries.rejections_of(import_id=imported.id, limit=rejection_limit, warnings=False)
    warnings = queries.rejections_of(import_id=imported.id, limit=rejection_limit, warnings=True)
    return {
        "id": imported.id,
        "kind": imported.kind,
        "filename": imported.filename,
        "sha256": imported.sha256,
        "dry_run": imported.dry_run,
        "actor_id": imported.actor_id,
        "created_at": imported.created_at,
        "counts": imported.counts,
        "rejections": [_item(item) for item in rejections],
        "warnings": [_item(item) for item in warnings],
        "warnings_truncated": len(warnings) == rejection_limit,
        "rejections_truncated": len(rejections) == rejection_limit,
        "rejections_csv": f"/api/v1/imports/{imported.id}/rejections.csv",
    }


def rejection_rows(import_id: int):
    """Rows of rejections.csv. Read while the answer streams, after the request's commit has expired its
    objects and closed its session: it takes the import's id, never the ORM object (DetachedInstanceError)."""
    for item in queries.rejections_of(import_id=import_id):
        yield (item.row_number, item.column or "", item.record_key or "", item.code, item.reason)


def import_aid(
    data: bytes,
    filename: str,
    *,
    program_code: str,
    period_start: date,
    period_end: date,
    actor: Actor | None,
    dry_run: bool,
    progress: Progress | None = None,
) -> DataImport:
    """Match an agency's recipient list for one program and period; exact keys applied, the rest proposed."""
    from server.aid.service import require_program

    check_not_empty(data)
    check_period(period_start, period_end)
    program = require_program(program_code)
    imported = queries.add_import(
        kind=f"aid:{program.code}"[:24],
        filename=filename[:255],
        sha256=sha256_of(data),
        actor_id=actor.user_id if actor else None,
        dry_run=dry_run,
        counts={},
    )
    try:
        report = run_aid_import(
            data,
            program=program,
            period_start=period_start,
            period_end=period_end,
            actor=actor,
            import_id=imported.id,
            dry_run=dry_run,
            progress=progress,
        )
    except FileRejected as rejected:
        raise file_rejected(rejected) from rejected
    imported.counts = {
        **report.counts,
        "encoding": report.encoding or "xlsx",
        "program": program.code,
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
    }
    queries.add_rejections(import_id=imported.id, rejections=report.rejections)
    record(
        "import.aid" + (".dry_run" if dry_run else ""),
        object_type="data_import",
        object_id=imported.id,
        changes={"counts": {key: value for key, value in report.counts.items() if isinstance(value, int)}},
        actor_username=None if actor else "cli",
    )
    return imported


def list_proposals(
    actor: Actor, *, state: str | None = None, import_id: int | None = None, limit: int = 200
) -> list[AidMatchProposal]:
    """Aid match proposals the actor may decide (admins: all; supervisors: from their own imports), oldest
    first: the API's list and the staff page's."""
    return queries.list_proposals(actor=actor, state=state, import_id=import_id, limit=limit)


def proposal_view(proposal: AidMatchProposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "import_id": proposal.import_id,
        "row": proposal.row_number,
        "listed_name": proposal.listed_name,
        "listed_number": proposal.listed_number,
        "region_code": proposal.region_code,
        "period_start": proposal.period_start,
        "period_end": proposal.period_end,
        "amount": str(proposal.amount) if proposal.amount is not None else None,
        "receipt_status": proposal.receipt_status,
        "candidates": proposal.candidates,
        "state": proposal.state,
        "decided_by_id": proposal.decided_by_id,
        "decided_at": proposal.decided_at,
        "receipt_id": proposal.receipt_id,
    }


def _pending_proposal(actor: Actor, proposal_id: int) -> AidMatchProposal:
    proposal = queries.lock_proposal(proposal_id=proposal_id)
    if proposal is None:
        raise AppError(NOT_FOUND)
    imported = queries.get_import(import_id=proposal.import_id)
    if not actor.is_admin and (imported is None or imported.actor_id != actor.user_id):
        raise AppError(NOT_FOUND)
    if proposal.state != "pending":
        raise AppError(PROPOSAL_DECIDED, details={"state": proposal.state})
    return proposal


def confirm_proposal(actor: Actor, proposal_id: int, household_id: str, member_id: str | None) -> AidMatchProposal:
    """Apply the aid to the candidate the supervisor chose (it must be one of the proposal's candidates)."""
    from server.aid.models import AidProgram

    proposal = _pending_proposal(actor, proposal_id)
    chosen = next(
        (
            item
            for item in proposal.candidates
            if item["household_id"] == household_id and (item.get("member_id") or None) == (member_id or None)
        ),
        None,
    )
    if chosen is None:
        raise validation_error({"household_id": ["Bukan salah satu kandidat / not one of the candidates"]})
    if not region_in_scope(actor, chosen["region_code"]):
        raise AppError(NOT_FOUND)
    program = db.session.get(AidProgram, proposal.program_id)
    family = getattr(program.unit, "value", program.unit) == "family"
    recipient = {
        "household_id": uuid.UUID(household_id) if family else None,
        "member_id": None if family else uuid.UUID(member_id),
    }
    # The row was kept as a receipt without a recipient when its key matched nobody: that receipt gets one.
    proposal.receipt_id = queries.attach_listed_receipt(proposal=proposal, family=family, **recipient)
    if proposal.receipt_id is None:
        proposal.receipt_id = queries.insert_receipt(
            program_id=proposal.program_id,
            period_start=proposal.period_start,
            period_end=proposal.period_end,
            amount=proposal.amount,
            source="agency_list",
            status=proposal.receipt_status,
            import_id=proposal.import_id,
            listed_match="confirmed",
            listed_name=proposal.listed_name,
            listed_row=proposal.row_number,
            listed_region_code=proposal.region_code,
            **{("listed_kk" if family else "listed_nik"): proposal.listed_number},
            **recipient,
        )
    proposal.state = "confirmed"
    proposal.decided_by_id = actor.user_id
    proposal.decided_at = datetime.now(UTC)
    record(
        "aid.proposal.confirm",
        object_type="aid_proposal",
        object_id=proposal.id,
        changes={
            "household_id": (None, household_id),
            "member_id": (None, member_id),
            "receipt_id": (None, proposal.receipt_id),
        },
    )
    return proposal


def reject_proposal(actor: Actor, proposal_id: int) -> AidMatchProposal:
    proposal = _pending_proposal(actor, proposal_id)
    proposal.state = "rejected"
    proposal.decided_by_id = actor.user_id
    proposal.decided_at = datetime.now(UTC)
    record(
        "aid.proposal.reject",
        object_type="aid_proposal",
        object_id=proposal.id,
        changes={"state": ("pending", "rejected")},
    )
    return proposal
