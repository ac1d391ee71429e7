"""Demo objects that own documents, one per owner type, and files to upload (tests of marketplace.documents)."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from catalog.listings.models import Listing
from catalog.pilots.models import Pilot
from consortium.models import Organization
from consortium.planning.models import Need
from contracts.observations.models import Observation
from contracts.orders.models import Order
from contracts.sourcing.models import Rfi
from contracts.vehicles.models import Participation, Vehicle
from marketplace.documents import registry, services
from marketplace.documents.demo import tiny_pdf
from marketplace.extensions import db
from tests.conftest import user

PDF = tiny_pdf(["A test document"])
CSV = b"meter,kwh\nM-1,12.5\nM-2,13.0\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.txt", "not an office document")
    return out.getvalue()


def _org(name: str) -> int:
    return db.session.scalar(select(Organization.id).where(Organization.name == name))


def _one(stmt):
    return db.session.scalars(stmt.execution_options(all_tenants=True)).first()


def listing():
    """A published listing of ParkSense (the matrix's vendor)."""
    return _one(select(Listing).where(Listing.vendor_id == _org("ParkSense"), Listing.status == "published")
                .order_by(Listing.id))


def pilot():
    """A verified pilot Mesa hosted."""
    return _one(select(Pilot).where(Pilot.host_member_id == _org("Mesa"), Pilot.status == "verified"))


def vehicle():
    """The active street-lighting vehicle (public)."""
    return _one(select(Vehicle).where(Vehicle.number == "GPSR-2026-001"))


def participation():
    """Tempe's executed participation in it."""
    return _one(select(Participation).where(Participation.member_id == _org("Tempe"),
                                            Participation.vehicle_id == vehicle().id))


def order():
    """An active order of Mesa (BrightStreet's)."""
    return _one(select(Order).where(Order.member_id == _org("Mesa"), Order.status == "active").order_by(Order.id))


def observation():
    """A measurement on one of Tempe's orders, reported by BrightStreet."""
    return _one(select(Observation).order_by(Observation.id))


def rfi():
    """A published RFI Mesa issued."""
    return _one(select(Rfi).where(Rfi.issuer_id == _org("Mesa"), Rfi.published_at.is_not(None)).order_by(Rfi.id))


def need():
    """A need of Mesa past the draft."""
    return _one(select(Need).where(Need.member_id == _org("Mesa"), Need.status != "draft").order_by(Need.id))


OWNERS = {"listings": listing, "pilots": pilot, "vehicles": vehicle, "participations": participation,
          "orders": order, "observations": observation, "rfis": rfi, "needs": need}


def add(key: str, obj, email: str, *, title: str = "Evidence", content: bytes = PDF, filename: str = "evidence.pdf"):
    return services.add_document(registry.owner_for_key(key), obj, title=title, filename=filename,
                                 stream=io.BytesIO(content), actor=db.session.merge(user(email)))
