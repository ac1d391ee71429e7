"""Who is told about listings (DESIGN section 7, "Who is told what").

- a listing or a revision submitted → the consortium's admins (they review it);
- a listing approved, sent back for changes or suspended, and a revision approved or sent back → the
  vendor's users.

Each listener runs in the transaction of the audit event that caused it (`marketplace.notifications.events`).
"""

from __future__ import annotations

from catalog.listings.models import Listing, ListingRevision
from consortium import queries as people
from marketplace.notifications.events import on
from marketplace.notifications.services import notify


def _listing(obj) -> Listing:
    return obj.listing if isinstance(obj, ListingRevision) else obj


def _reason(event) -> str:
    return f" The consortium office wrote: “{event.reason}”" if event.reason else ""


def _tell_admins(event, listing: Listing, *, subject: str, body: str) -> None:
    notify(people.admins_of(event.consortium_id), kind="listing_review", subject=subject, body=body,
           consortium_id=event.consortium_id, obj=listing, actor=people.person(event.actor_id),
           link=people.consortium_link(event.consortium_id, "catalog.review", listing_id=listing.id))


def _tell_vendor(event, listing: Listing, *, subject: str, body: str) -> None:
    notify(people.users_of(listing.vendor_id), kind="listing_decided", subject=subject, body=body,
           consortium_id=event.consortium_id, obj=listing, actor=people.person(event.actor_id),
           link=people.consortium_link(event.consortium_id, "catalog.listing", listing_id=listing.id))


@on("listing.submitted")
def listing_submitted(event, obj) -> None:
    listing = _listing(obj)
    again = " again, with the changes you asked for" if event.before and \
        event.before.get("status") == "changes_requested" else ""
    _tell_admins(
        event, listing,
        subject=f"Listing “{listing.title}” by {listing.vendor.name} waits for your review",
        body=(f"{listing.vendor.name} submitted the listing “{listing.title}” ({listing.category_label}){again}. "
              "Review it, then approve it or send it back with a reason for the vendor."))


@on("listing.revision_proposed")
def revision_proposed(event, obj) -> None:
    listing = _listing(obj)
    _tell_admins(
        event, listing,
        subject=f"{listing.vendor.name} proposes changes to “{listing.title}”",
        body=(f"{listing.vendor.name} proposed changes to its published listing “{listing.title}”. Buyers keep "
              "seeing the approved version until you approve the changes. Compare them side by side, then "
              "approve them or send them back with a reason."))


@on("listing.approved")
def listing_approved(event, obj) -> None:
    listing = _listing(obj)
    _tell_vendor(event, listing, subject=f"Your listing “{listing.title}” is published",
                 body=(f"The consortium office approved your listing “{listing.title}”. Buyers of the consortium "
                       f"can now find it in the catalog.{_reason(event)}"))


@on("listing.changes_requested")
def listing_changes_requested(event, obj) -> None:
    listing = _listing(obj)
    _tell_vendor(event, listing, subject=f"Your listing “{listing.title}” was sent back for changes",
                 body=(f"The consortium office sent your listing “{listing.title}” back for changes. Edit it and "
                       f"submit it again.{_reason(event)}"))


@on("listing.suspended")
def listing_suspended(event, obj) -> None:
    listing = _listing(obj)
    _tell_vendor(event, listing, subject=f"Your listing “{listing.title}” was suspended",
                 body=(f"The consortium office suspended your listing “{listing.title}”: buyers no longer see it "
                       f"in the catalog until it is reinstated.{_reason(event)}"))


@on("listing.revision_approved")
def revision_approved(event, obj) -> None:
    listing = _listing(obj)
    _tell_vendor(event, listing, subject=f"Your changes to “{listing.title}” are live",
                 body=(f"The consortium office approved your changes to “{listing.title}”: buyers now see the new "
                       f"version.{_reason(event)}"))


@on("listing.revision_changes_requested")
def revision_changes_requested(event, obj) -> None:
    listing = _listing(obj)
    _tell_vendor(event, listing, subject=f"Your changes to “{listing.title}” were sent back",
                 body=(f"The consortium office sent your proposed changes to “{listing.title}” back; buyers keep "
                       f"seeing the approved version. Edit the listing to propose them again.{_reason(event)}"))
