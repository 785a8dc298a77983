"""HTTP routes of the aid programs API (`/api/v1/programs`)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, request

from server.aid import service
from server.aid.schemas import ProgramCreateSchema, ProgramSchema, ProgramUpdateSchema
from server.auth.access import require
from server.errors import validation_error
from server.http import json_body, ok
from server.types import Role

bp = Blueprint("aid", __name__)


@bp.get("/programs")
@require()
def list_programs():
    """The aid program catalogue (every role).
    ---
    get:
      tags: [programs]
      summary: List aid programs
      parameters:
        - {in: query, name: active_on, required: false, schema: {type: string, format: date},
           description: Only programs active on this date}
      responses:
        200:
          description: Programs by level and code
          content:
            application/json:
              schema: ProgramListResponseSchema
        422: ValidationFailed
    """
    active_on = None
    if request.args.get("active_on"):
        try:
            active_on = date.fromisoformat(request.args["active_on"])
        except ValueError as error:
            raise validation_error({"active_on": ["Tanggal tidak valid / invalid date"]}) from error
    return ok(ProgramSchema(many=True).dump(service.list_programs(active_on)))


@bp.post("/programs")
@require(Role.ADMIN)
def create_program():
    """Add a program to the catalogue (admin).
    ---
    post:
      tags: [programs]
      summary: Create a program
      requestBody:
        required: true
        content:
          application/json:
            schema: ProgramCreateSchema
      responses:
        201:
          description: The program
          content:
            application/json:
              schema: ProgramResponseSchema
        403: Forbidden
        409: Conflict
        422: ValidationFailed
    """
    program = service.create_program(ProgramCreateSchema().load(json_body()))
    return ok(ProgramSchema().dump(program), 201)


@bp.patch("/programs/<code>")
@require(Role.ADMIN)
def update_program(code: str):
    """Change a program's name, classification or active period (admin); the code never changes.
    ---
    patch:
      tags: [programs]
      summary: Update a program
      requestBody:
        required: true
        content:
          application/json:
            schema: ProgramUpdateSchema
      responses:
        200:
          description: The program
          content:
            application/json:
              schema: ProgramResponseSchema
        403: Forbidden
        404: NotFound
        422: ValidationFailed
    """
    program = service.update_program(code, ProgramUpdateSchema().load(json_body()))
    return ok(ProgramSchema().dump(program))
