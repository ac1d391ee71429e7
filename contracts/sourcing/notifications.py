"""Who is told about RFIs (DESIGN section 7, "Who is told what"):

- an RFI opened → the users of every vendor with a published listing in its category (in its consortium);
- a response submitted (or replaced) → the issuer's user who created the RFI and the issuing member's approvers
  (the office's admins, for an office RFI); never another vendor;
- an RFI cancelled → the users of the vendors that had responded.
"""

from __future__ import annotations

from sqlalchemy import select

from catalog.listings.models import Listing
from consortium import queries as people
from contracts.sourcing.models import Rfi, RfiResponse
from contracts.sourcing.services import due_text
from marketplace.extensions import db
from marketplace.formats import money
from marketplace.notifications.events import on
from marketplace.notifications.services import notify


def _link(rfi: Rfi) -> str:
    return people.consortium_link(rfi.consortium_id, "sourcing.rfi", rfi_id=rfi.id)


def _issuer_side(rfi: Rfi) -> list:
    if rfi.issuer.kind == "office":
        return people.admins_of(rfi.consortium_id)
    return [rfi.created_by, *people.approvers_of(rfi.issuer_id)]


@on("rfi.opened")
def rfi_opened(event, rfi: Rfi) -> None:
    vendor_ids = db.session.scalars(select(Listing.vendor_id).where(
        Listing.consortium_id == rfi.consortium_id, Listing.category == rfi.category,
        Listing.status == "published").distinct().execution_options(all_tenants=True)).all()
    recipients = [u for users in people.users_by_organization(vendor_ids).values() for u in users]
    notify(recipients, kind="rfi", subject=f"New RFI in {rfi.category_label}: {rfi.title}",
           body=(f"{rfi.issuer.name} asks vendors about “{rfi.title}” ({rfi.reference}) and outlines a partnership "
                 f"MOU to accept or comment on point by point. Responses are due by {due_text(rfi)}."),
           consortium_id=event.consortium_id, obj=rfi, actor=people.person(event.actor_id), link=_link(rfi))


@on("rfi_response.submitted")
def response_submitted(event, response: RfiResponse) -> None:
    rfi = response.rfi
    verb = "replaced its response" if (event.after or {}).get("replaced") else "responded"
    notify(_issuer_side(rfi), kind="rfi", subject=f"{response.vendor.name} {verb} to {rfi.reference}",
           body=(f"{response.vendor.name} {verb} to “{rfi.title}” with an indicative price of "
                 f"{money(response.indicative_price)}, accepting {response.accepted_points} of the MOU's points. "
                 "Compare the responses once the RFI is closed."),
           consortium_id=event.consortium_id, obj=rfi, actor=people.person(event.actor_id), link=_link(rfi))


@on("rfi.cancelled")
def rfi_cancelled(event, rfi: Rfi) -> None:
    vendor_ids = db.session.scalars(select(RfiResponse.vendor_id).where(RfiResponse.rfi_id == rfi.id)).all()
    recipients = [u for users in people.users_by_organization(vendor_ids).values() for u in users]
    reason = f" The reason given: “{event.reason}”" if event.reason else ""
    notify(recipients, kind="rfi", subject=f"{rfi.reference} “{rfi.title}” was cancelled",
           body=f"{rfi.issuer.name} cancelled the RFI you responded to.{reason}",
           consortium_id=event.consortium_id, obj=rfi, actor=people.person(event.actor_id), link=_link(rfi))
