"""Demo documents (DESIGN section 8), added through the real service after the rest of the demo:

- a pilot report (a small generated PDF) on every verified pilot, added by the person who recorded it;
- a meter export (CSV) on the first reported measurement of each demo consortium, added by its vendor;
- the master agreement (PDF) on the street-lighting vehicle GPSR-2026-001, added by the office.

The kernel never imports a domain: the owners' classes are found by their table names in the mapper registry,
and who may add is still each owner's own rule (`registry`). Idempotent: a title already on its owner is skipped.
"""

from __future__ import annotations

import io

from sqlalchemy import select

from marketplace.db import Base
from marketplace.documents import registry, services
from marketplace.documents.models import Document
from marketplace.extensions import db

VEHICLE_NUMBER = "GPSR-2026-001"
PILOT_REPORT = "Pilot report"
METER_EXPORT = "Meter export"
MASTER_AGREEMENT = "Master agreement"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def tiny_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with a few lines of Helvetica text (ASCII), built by hand with a correct xref."""
    text = "BT /F1 12 Tf 72 740 Td 16 TL " + " ".join(f"({_escape(line)}) Tj T*" for line in lines) + " ET"
    stream = text.encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _mapped(table: str):
    return next(m.class_ for m in Base.registry.mappers if m.local_table is not None and m.local_table.name == table)


def _has(owner: registry.Owner, obj, title: str) -> bool:
    return db.session.scalar(select(Document.id).where(
        Document.owner_type == owner.object_type, Document.owner_id == obj.id, Document.title == title)) is not None


def _attach(key: str, obj, actor, title: str, filename: str, content: bytes) -> None:
    owner = registry.registered().get(key)
    if owner is None or actor is None or _has(owner, obj, title) or not owner.can_add(actor, obj):
        return
    services.add_document(owner, obj, title=title, filename=filename, stream=io.BytesIO(content), actor=actor)


def _user(user_id=None, email: str | None = None):
    user_class = _mapped("user")
    if email is not None:
        return db.session.scalar(select(user_class).where(user_class.email == email))
    return db.session.get(user_class, user_id) if user_id else None


def load_documents() -> None:
    """The demo's pilot reports, meter exports and master agreement (each skipped when present)."""
    pilot_class = _mapped("pilot")
    for pilot in db.session.scalars(select(pilot_class).where(pilot_class.status == "verified")
                                    .order_by(pilot_class.id).execution_options(all_tenants=True)):
        lines = [f"Pilot report: {pilot.title}", f"Host: {pilot.host_member.name}",
                 f"From {pilot.start_date.isoformat()} to {pilot.end_date.isoformat()}",
                 f"Outcome: {pilot.outcome_label}", "Measured results are listed on the pilot's page."]
        _attach("pilots", pilot, _user(pilot.recorded_by_id), PILOT_REPORT, "pilot-report.pdf", tiny_pdf(lines))
    observation_class = _mapped("observation")
    seen: set[int] = set()
    for observation in db.session.scalars(select(observation_class).order_by(observation_class.id)
                                          .execution_options(all_tenants=True)):
        if observation.consortium_id in seen:
            continue
        seen.add(observation.consortium_id)
        export = (f"timestamp,meter,kpi,value\n2026-10-01T00:00:00Z,M-0001,{observation.kpi},{observation.value}\n"
                  f"2026-10-02T00:00:00Z,M-0002,{observation.kpi},{observation.value}\n").encode()
        _attach("observations", observation, _user(observation.reported_by_id), METER_EXPORT,
                f"meter-export-period-{observation.period}.csv", export)
    vehicle_class = _mapped("vehicle")
    vehicle = db.session.scalar(select(vehicle_class).where(vehicle_class.number == VEHICLE_NUMBER)
                                .execution_options(all_tenants=True))
    if vehicle is not None:
        agreement = tiny_pdf([f"Master agreement {vehicle.number}", vehicle.title,
                              f"Term: {vehicle.start_date.isoformat()} to {vehicle.end_date.isoformat()}",
                              "Signed by the lead agency and the awarded vendor."])
        _attach("vehicles", vehicle, _user(email="admin@gpsr.example"), MASTER_AGREEMENT,
                f"{vehicle.number}-master-agreement.pdf", agreement)
