"""The addendum's terms as canonical text, and their SHA-256: what a signature binds.

The terms, in this order (the PDF prints them under the same labels, so the digest can be recomputed from
a printed addendum):

- `consortium`: the consortium's name;
- `addendum`: the addendum's reference, PA-<vehicle number>-<participation id> (two addenda with the same
  words are still different documents);
- `vehicle`: number, title, lead agency, awarded vendors, start date, renewal options (count and months),
  ceiling and admin fee (%): what the master agreement binds the member to. These cannot change once a
  vehicle is active, and members only join active vehicles;
- `member`: the participating member's name;
- `member_not_to_exceed`: the member's cap (null for none);
- `special_terms`: the member's special terms.

Left out on purpose: the end date, which a renewal option the master agreement provides for moves (that
must not void an executed addendum); the price schedule, which the office may lower under the master
agreement; and everything that follows execution (committed amounts).

Canonical text: JSON with sorted keys, no whitespace, UTF-8, money with two decimals and percentages
without trailing zeros, dates ISO 8601.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from consortium.models import Consortium
from contracts.vehicles.models import Participation
from marketplace.extensions import db
from marketplace.formats import day, money


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _percent(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def reference(participation: Participation) -> str:
    return f"PA-{participation.vehicle.number}-{participation.id}"


def canonical_terms(participation: Participation) -> dict:
    """The terms a signature binds, as plain JSON values (see the module docstring)."""
    vehicle = participation.vehicle
    consortium = db.session.get(Consortium, participation.consortium_id)
    return {
        "consortium": consortium.name,
        "addendum": reference(participation),
        "vehicle": {
            "number": vehicle.number,
            "title": vehicle.title,
            "lead_agency": vehicle.lead_agency.name,
            "vendors": [vendor.name for vendor in vehicle.vendors],
            "start_date": vehicle.start_date.isoformat(),
            "renewal_options": {"count": vehicle.renewal_count, "months": vehicle.renewal_months},
            "ceiling": _money(vehicle.ceiling),
            "admin_fee_pct": _percent(vehicle.admin_fee_pct),
        },
        "member": participation.member.name,
        "member_not_to_exceed": _money(participation.member_not_to_exceed),
        "special_terms": participation.special_terms or "",
    }


def canonical_text(participation: Participation) -> str:
    return json.dumps(canonical_terms(participation), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def terms_digest(participation: Participation) -> str:
    """The SHA-256 (64 lowercase hex characters) of the canonical terms."""
    return hashlib.sha256(canonical_text(participation).encode("utf-8")).hexdigest()


def terms_rows(participation: Participation) -> list[tuple[str, str]]:
    """The same terms as (label, value) rows for people: pages and the PDF."""
    terms = canonical_terms(participation)
    vehicle = terms["vehicle"]
    renewals = vehicle["renewal_options"]
    return [
        ("Consortium", terms["consortium"]),
        ("Addendum", terms["addendum"]),
        ("Vehicle", f"{vehicle['number']}: {vehicle['title']}"),
        ("Lead agency", vehicle["lead_agency"]),
        ("Vendors" if len(vehicle["vendors"]) > 1 else "Vendor", ", ".join(vehicle["vendors"])),
        ("Start date", day(participation.vehicle.start_date)),
        ("Renewal options", f"{renewals['count']} of {renewals['months']} months each" if renewals["count"]
         else "None"),
        ("Vehicle ceiling", money(participation.vehicle.ceiling)),
        ("Admin fee", f"{vehicle['admin_fee_pct']}%"),
        ("Participating member", terms["member"]),
        ("Member not-to-exceed", money(participation.member_not_to_exceed) if terms["member_not_to_exceed"]
         else "None"),
        ("Special terms", terms["special_terms"] or "None"),
    ]
