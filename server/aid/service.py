"""Aid use cases: managing the program catalogue (list for everyone, create/update for admins, audited)."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.aid import queries
from server.aid.models import AidProgram
from server.audit.service import record
from server.errors import NOT_FOUND, PROGRAM_CODE_TAKEN, AppError, validation_error


def list_programs(active_on: date | None = None) -> list[AidProgram]:
    return queries.list_programs(active_on=active_on)


def require_program(code: str) -> AidProgram:
    program = queries.get_program(code=code)
    if program is None:
        raise AppError(NOT_FOUND, details={"program": code})
    return program


def create_program(data: dict[str, Any]) -> AidProgram:
    if queries.get_program(code=data["code"]) is not None:
        raise AppError(PROGRAM_CODE_TAKEN, details={"fields": {"code": [PROGRAM_CODE_TAKEN.message]}})
    program = queries.add_program(**data)
    record(
        "program.create",
        object_type="aid_program",
        object_id=program.code,
        changes={field: (None, value) for field, value in data.items()},
    )
    return program


def update_program(code: str, data: dict[str, Any]) -> AidProgram:
    program = require_program(code)
    start = data.get("active_from", program.active_from)
    end = data.get("active_until", program.active_until)
    if start and end and end < start:
        raise validation_error({"active_until": ["Harus sesudah active_from / must not be before active_from"]})
    diff = {}
    for field, value in data.items():
        current = getattr(program, field)
        current_value = getattr(current, "value", current)
        if current_value != value:
            diff[field] = (current_value, value)
            setattr(program, field, value)
    if diff:
        record("program.update", object_type="aid_program", object_id=program.code, changes=diff)
    return program
