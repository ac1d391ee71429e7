"""How the audit log names the catalog's objects (listings, their revisions, pilots): one query per type for
a whole page (marketplace.auditlabels). Imported by catalog.blueprints, which is what registers them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from catalog.listings.models import Listing, ListingRevision
from catalog.listings.services import LISTING_LIFECYCLE, REVISION_LIFECYCLE
from catalog.pilots.models import Pilot
from catalog.pilots.services import PILOT_LIFECYCLE
from catalog.reviews.models import Review
from catalog.reviews.services import REVIEW_LIFECYCLE
from marketplace import audit
from marketplace.auditlabels import Label, link, register_label, register_lifecycle, register_verb
from marketplace.extensions import db
from marketplace.formats import money


def listings_named(ids: list[int]) -> dict[int, Label]:
    rows = db.session.scalars(select(Listing).where(Listing.id.in_(ids)))
    return {row.id: Label(f"listing “{row.title}”", None, link("catalog.listing", listing_id=row.id)) for row in rows}


def revisions_named(ids: list[int]) -> dict[int, Label]:
    rows = db.session.scalars(
        select(ListingRevision).where(ListingRevision.id.in_(ids)).options(joinedload(ListingRevision.listing)))
    return {row.id: Label(f"a revision of listing “{row.listing.title}”", None,
                          link("catalog.history", listing_id=row.listing_id)) for row in rows}


def pilots_named(ids: list[int]) -> dict[int, Label]:
    rows = db.session.scalars(select(Pilot).where(Pilot.id.in_(ids)))
    return {row.id: Label(f"pilot “{row.title}”", f"cost {money(row.cost)}" if row.cost is not None else None,
                          link("pilots.detail", pilot_id=row.id)) for row in rows}

def reviews_named(ids: list[int]) -> dict[int, Label]:
    rows = db.session.scalars(select(Review).where(Review.id.in_(ids))
                              .options(joinedload(Review.listing), joinedload(Review.member))).unique()
    return {r.id: Label(f"{r.member.name}'s review of {r.listing.title}", f"overall {r.overall} of 5",
                        link("reviews.review", review_id=r.id)) for r in rows}


register_lifecycle(LISTING_LIFECYCLE)
register_lifecycle(REVISION_LIFECYCLE)
register_lifecycle(PILOT_LIFECYCLE)
register_lifecycle(REVIEW_LIFECYCLE)
register_label("listing", listings_named)
register_label("listing_revision", revisions_named, noun="listing revision")
register_label("pilot", pilots_named)
register_label("review", reviews_named)
register_verb("listing.revision_proposed", "proposed a revision of")
register_verb("pilot.linked", "linked a listing to")
register_verb(audit.REVIEW_SUBMITTED, "wrote")
register_verb(audit.REVIEW_RESPONDED, "answered")
