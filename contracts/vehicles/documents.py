"""The participating addendum as a PDF."""

from __future__ import annotations

import re

from sqlalchemy import select

from consortium.models import Consortium
from contracts.vehicles.models import Participation, Vehicle
from contracts.vehicles.queries import DETAIL_OPTIONS, schedule_rows
from contracts.vehicles.signing.queries import signing_summary
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.pdf import render_pdf


def addendum_filename(participation: Participation) -> str:
    raw = f"addendum-{participation.vehicle.number}-{participation.member.name}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-") + ".pdf"


def render_addendum(participation: Participation) -> bytes:
    """The participating addendum as a PDF: only once executed (signed by both sides). Rendered
    through the kernel's locked fetcher, so typed-in terms can never make it read files or the network."""
    if participation.status != "executed":
        raise Conflict("The participating addendum is available once the consortium office has approved the "
                       f"request; this one is {participation.status}.")
    # The schedule with its price items and listings in a few queries, however long it is.
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.id == participation.vehicle_id).options(*DETAIL_OPTIONS))
    return render_pdf(
        "contracts/vehicles/addendum_pdf.html",
        participation=participation,
        vehicle=vehicle,
        consortium=db.session.get(Consortium, participation.consortium_id),
        rows=schedule_rows(vehicle),
        status=vehicle.effective_status(),
        signing=signing_summary(participation),
    )
