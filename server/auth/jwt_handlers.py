"""flask-jwt-extended's failure callbacks, answering in the error envelope instead of its own JSON."""

from __future__ import annotations

from flask_jwt_extended import JWTManager

from server.errors import UNAUTHORIZED, envelope


def register_jwt_handlers(jwt: JWTManager) -> None:
    @jwt.unauthorized_loader
    def _missing(reason: str):
        return envelope(UNAUTHORIZED, details={"reason": "missing_token"})

    @jwt.invalid_token_loader
    def _invalid(reason: str):
        return envelope(UNAUTHORIZED, details={"reason": "invalid_token"})

    @jwt.expired_token_loader
    def _expired(header: dict, payload: dict):
        return envelope(UNAUTHORIZED, details={"reason": "token_expired"})

    @jwt.revoked_token_loader
    def _revoked(header: dict, payload: dict):
        return envelope(UNAUTHORIZED, details={"reason": "token_revoked"})

    @jwt.needs_fresh_token_loader
    def _not_fresh(header: dict, payload: dict):
        return envelope(UNAUTHORIZED, details={"reason": "fresh_token_required"})
