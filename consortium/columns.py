"""The CSV columns of organizations (the member and vendor directories, the API's organization list) and
of people (the users page), declared once. What a column shows depends on the viewer exactly as on the page:
an approval limit only to the office (or to the organization itself), a last sign-in never for a supplier
shared with other consortia."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping

from marketplace.csvexport import Columns


def organization_columns(may_see_limit: Callable[[object], bool], people: Mapping[int, int] | None = None) -> Columns:
    """Organizations; `people` (organization id → active people) adds that column, as on the directory."""
    spec = [
        ("id", lambda o: o.id),
        ("name", lambda o: o.name),
        ("kind", lambda o: o.kind),
        ("entity_type", lambda o: o.entity_type),
        ("population", lambda o: o.population),
        ("approval_limit", lambda o: o.approval_limit if may_see_limit(o) else None),
    ]
    if people is not None:
        spec.append(("active_people", lambda o: people.get(o.id, 0)))
    return Columns(*spec)


def people_columns(shared: Container[int]) -> Columns:
    """People; the last sign-in of a supplier shared with other consortia stays blank (`shared`: their ids)."""
    return Columns(
        ("name", lambda u: u.name),
        ("email", lambda u: u.email),
        ("organization", lambda u: u.organization.name),
        ("role", lambda u: u.role),
        ("status", lambda u: "active" if u.is_active else "deactivated"),
        ("last_sign_in", lambda u: None if u.organization_id in shared else u.last_login_at),
    )
