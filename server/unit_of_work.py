"""One unit of work per request and per command: commit once, at the end, on success; roll back on any error.

Routes and services never commit: services flush when they need database-generated values, and the
request's end decides. `create_app` wraps every view in `transactional`; CLI commands and jobs use the
`unit_of_work()` context manager. A few writes must outlive a refused request: the audit row of a failed
login, the revocation of a stolen refresh-token family, the removal of a refused upload. Those are handed
to `outlive_rollback`, and run in a short transaction of their own after the request's transaction has
ended, whatever its outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from flask import current_app, g, has_app_context

from server.extensions import db

_PENDING = "_writes_outliving_rollback"


def outlive_rollback(write: Callable[[], None]) -> None:
    """Run `write` in its own short transaction once the current unit of work ends (committed or not)."""
    if has_app_context():
        g.setdefault(_PENDING, []).append(write)
    else:  # pragma: no cover - every caller runs inside a request, a command or a job
        raise RuntimeError("outlive_rollback needs an app context")


def _run_outliving_writes() -> None:
    writes = g.pop(_PENDING, [])
    if not writes:
        return
    try:
        for write in writes:
            write()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def transactional(view: Callable) -> Callable:
    """View decorator: commit when the answer is a success (status below 400), roll back otherwise."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code < 400:
                db.session.commit()
            else:
                db.session.rollback()
            return response
        except BaseException:
            db.session.rollback()
            raise
        finally:
            _run_outliving_writes()

    return wrapper


@contextmanager
def unit_of_work() -> Iterator[None]:
    """For commands and jobs: everything inside is committed together, or nothing is."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _run_outliving_writes()
