"""The CSV columns of a review, for the office's export of every review of the consortium."""

from __future__ import annotations

from marketplace.csvexport import Columns

REVIEW_COLUMNS = Columns(
    ("id", lambda r: r.id),
    ("listing", lambda r: r.listing.title),
    ("listing_id", lambda r: r.listing_id),
    ("city", lambda r: r.member.name),
    ("author", lambda r: r.author.name),
    ("order_id", lambda r: r.order_id),
    ("status", lambda r: r.status),
    ("overall", lambda r: r.overall),
    ("service", lambda r: r.service),
    ("value", lambda r: r.value),
    ("quality", lambda r: r.quality),
    ("timeliness", lambda r: r.timeliness),
    ("text", lambda r: r.text),
    ("submitted_at", lambda r: r.created_at),
    ("decided_at", lambda r: r.decided_at),
    ("reason", lambda r: r.status_reason),
    ("vendor_answer", lambda r: r.response),
    ("answered_at", lambda r: r.responded_at),
)
