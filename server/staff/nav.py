"""The workspace's navigation: one entry per page, in order, with the roles that see it.

To add a page (see docs in /work/notes/PROTOCOL.md and server/staff/__init__.py): add a line here naming its
endpoint; entries whose endpoint is not registered (a page not landed yet) are left out of the menu.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from server.auth.access import Actor
from server.types import Role

STAFF_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.VIEWER)
OFFICE = (Role.ADMIN, Role.SUPERVISOR)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string
    roles: tuple[Role, ...] = STAFF_ROLES


NAV: list[NavItem] = [
    NavItem("staff.beranda", _l("Beranda")),
    NavItem("staff_review.queue", _l("Tinjauan"), (Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER)),
    NavItem("staff.households", _l("Rumah tangga")),
    NavItem("staff_maps.index", _l("Peta")),
    NavItem("staff_analytics.index", _l("Analitik")),
    NavItem("staff_musyawarah.index", _l("Musyawarah"), OFFICE),
    NavItem("staff.imports_page", _l("Impor"), OFFICE),
    NavItem("staff.campaigns_page", _l("Penugasan"), OFFICE),
    NavItem("staff.users", _l("Pengguna"), (Role.ADMIN,)),
    NavItem("staff_tokens.index", _l("Token QGIS")),
    NavItem("staff.audit", _l("Audit"), (Role.ADMIN,)),
]


def menu(actor: Actor) -> list[NavItem]:
    views = current_app.view_functions
    return [item for item in NAV if item.endpoint in views and actor.role in item.roles]


def is_current(item: NavItem) -> bool:
    """The menu entry of the page shown: its endpoint, or one named after it (`staff.households_detail`)."""
    endpoint = request.endpoint or ""
    return endpoint == item.endpoint or endpoint.startswith(item.endpoint + "_")


ROLE_LABELS = {
    Role.ADMIN: _l("admin"),
    Role.SUPERVISOR: _l("supervisor"),
    Role.REVIEWER: _l("peninjau"),
    Role.VIEWER: _l("pemantau"),
    Role.ENUMERATOR: _l("petugas lapangan"),
}


def role_label(role: Role | str) -> str:
    return str(ROLE_LABELS.get(Role(role), role))
