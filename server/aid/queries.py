"""SQL for aid programs (the catalogue) and receipts."""

from __future__ import annotations

import sqlalchemy as sa

from server.aid.models import AidProgram
from server.extensions import db


def list_programs(*, active_on=None) -> list[AidProgram]:
    query = sa.select(AidProgram).order_by(AidProgram.level, AidProgram.code)
    if active_on is not None:
        query = query.where(
            sa.or_(AidProgram.active_from.is_(None), AidProgram.active_from <= active_on),
            sa.or_(AidProgram.active_until.is_(None), AidProgram.active_until >= active_on),
        )
    return list(db.session.execute(query).scalars())


def get_program(*, code: str) -> AidProgram | None:
    return db.session.execute(sa.select(AidProgram).where(AidProgram.code == code)).scalar_one_or_none()


def add_program(**values) -> AidProgram:
    program = AidProgram(**values)
    db.session.add(program)
    db.session.flush()
    return program
