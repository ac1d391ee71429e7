"""The audit trail: every state change writes an `AuditEvent` in the same transaction."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, TenantMixin, UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.notifications.events import dispatch

# Action names declared here (the rest still live next to their lifecycle tables, as string literals).
VEHICLE_PRICE_SCHEDULE_AMENDED = "vehicle.price_schedule_amended"  # contract prices lowered to new list prices
FINANCING_ADDED = "financing.added"  # a financing instrument recorded on an order or a need
FUND_CREATED = "fund.created"  # an innovation fund opened for a member or the office
FUND_CONTRIBUTION_RECORDED = "fund.contribution_recorded"  # money put into a fund
FUND_DRAWN = "fund.drawn"  # money taken from a fund to finance an order (under the fund's row lock)
NEED_CREATED = "need.created"  # a member city recorded a need (a draft)
NEED_UPDATED = "need.updated"  # a need's content changed (draft or submitted)
PRIORITY_ROUND_STARTED = "priority_round.started"  # a member's approver or the office started a round
RFI_CREATED = "rfi.created"  # an approver or the office drafted an RFI
RFI_UPDATED = "rfi.updated"  # a draft RFI's content changed
RFI_INTEREST_REGISTERED = "rfi.interest_registered"  # a member registered (or updated) its interest
RFI_RESPONSE_SUBMITTED = "rfi_response.submitted"  # a vendor responded to an RFI (or replaced its response)
REVIEW_SUBMITTED = "review.submitted"  # a member city reviewed a listing it bought (waits for moderation)
REVIEW_RESPONDED = "review.responded"  # the listing's vendor answered a published review (once)
NEED_ORDER_LINKED = "need.order_linked"  # the order that fulfils a need was recorded
DOCUMENT_ADDED = "document.added"  # a file (or a new version of a title) attached to its owner
PARTICIPATION_SIGNED = "participation.signed"  # the member's approver signed a participating addendum
PARTICIPATION_TERMS_EDITED = "participation.terms_edited"  # a requested addendum's terms were changed
PARTICIPATION_SIGNATURES_VOIDED = "participation.signatures_voided"  # changed terms voided the addendum's signatures
SALES_REPORT_OPENED = "sales_report.opened"  # a vendor's quarterly sales report was opened (due)
SALES_REPORT_UPDATED = "sales_report.updated"  # a vendor replaced the lines it reports outside the platform
FEE_PAYMENT_RECORDED = "sales_report.fee_paid"  # the office recorded an admin-fee payment (under the row lock)


class AuditEvent(TenantMixin, Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}#{self.object_id}>"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def record(
    *,
    consortium_id: int,
    actor,
    action: str,
    obj=None,
    object_type: str | None = None,
    object_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller's commit makes it permanent).

    `obj` must already have an id (flush first); `object_type` defaults to its table name.
    """
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = obj.id
    if object_id is None:
        raise ValueError("audit event needs an object id: flush the object first")
    event = AuditEvent(
        consortium_id=consortium_id,
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
    )
    db.session.add(event)
    dispatch(event, obj)  # who is told, in the same transaction (marketplace.notifications.events)
    return event


def snapshot(obj, fields: list[str]) -> dict:
    """The named attributes of `obj` as a JSON-ready dict (for before/after)."""
    return json.loads(json.dumps({f: _jsonable(getattr(obj, f)) for f in fields}, default=str))
