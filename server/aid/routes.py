"""HTTP routes of the aid programs API (`/api/v1/programs`)."""

from __future__ import annotations

from server.aid import service
from server.aid.schemas import (
    ProgramCreateSchema,
    ProgramListQuerySchema,
    ProgramListResponseSchema,
    ProgramResponseSchema,
    ProgramUpdateSchema,
)
from server.api import Blueprint
from server.auth.access import require
from server.types import Role

bp = Blueprint("programs", __name__, description="Program bantuan / Aid programmes")


@bp.get("/programs")
@require()
@bp.arguments(ProgramListQuerySchema, location="query")
@bp.response(200, ProgramListResponseSchema, description="Programs by level and code")
@bp.doc(summary="List aid programs")
def list_programs(params: dict):
    """The aid program catalogue (every role)."""
    return {"data": service.list_programs(params.get("active_on"))}


@bp.post("/programs")
@require(Role.ADMIN)
@bp.arguments(ProgramCreateSchema)
@bp.response(201, ProgramResponseSchema, description="The program")
@bp.alt_response(409, response="Conflict")
@bp.doc(summary="Create a program")
def create_program(data: dict):
    """Add a program to the catalogue (admin)."""
    return {"data": service.create_program(data)}


@bp.patch("/programs/<code>")
@require(Role.ADMIN)
@bp.arguments(ProgramUpdateSchema)
@bp.response(200, ProgramResponseSchema, description="The program")
@bp.alt_response(404, response="NotFound")
@bp.doc(summary="Update a program")
def update_program(data: dict, code: str):
    """Change a program's name, classification or active period (admin); the code never changes."""
    return {"data": service.update_program(code, data)}
