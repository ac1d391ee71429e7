"""Signature and digest input → clean values, or every problem at once."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from contracts.vehicles.signing.models import AUTHORITY_MAX, NAME_MAX, TITLE_MAX
from marketplace.documents.sniffing import PDF, Refused, detect
from marketplace.errors import ValidationFailed
from marketplace.inputs import clean_text, raise_if

SIGNATURE_FIELDS = ("name", "title", "authority")
SIGNATURE_PROBLEMS = "The signature has problems to correct."
AUTHORITY_MISSING = ("State your authority to sign, for example “Resolution 2026-14, delegated authority up to "
                     "$250,000”.")
_DIGEST = re.compile(r"[0-9a-f]{64}", re.ASCII)
# How the addendum PDF prints it (contracts/templates/contracts/vehicles/addendum_pdf.html); text extraction may
# break the 64 characters across lines.
_PRINTED_DIGEST = re.compile(r"SHA-256 of the terms signed:\s*((?:[0-9a-fA-F]\s*){64})", re.ASCII)
PDF_MAX_BYTES = 5 * 1024 * 1024  # an addendum is some tens of kilobytes
PDF_MAX_PAGES = 50
NOT_AN_ADDENDUM = ("No addendum digest is printed in this file: choose the participating addendum PDF downloaded "
                   "from the marketplace, or enter the digest by hand.")


def clean_signature(data, *, default_name: str = "") -> dict:
    """{name, title, authority}: the title and the authority statement are required; the name defaults to
    the signer's own. Other keys (`reason` on a countersignature) are left to their own parser."""
    fields: dict[str, str] = {}
    if not isinstance(data, dict):
        data = {}
    raw_name = data.get("name")
    name = clean_text(default_name if raw_name in (None, "") else raw_name, "name", fields, limit=NAME_MAX,
                      required=True)
    title = clean_text(data.get("title"), "title", fields, limit=TITLE_MAX, required=True)
    if fields.get("title") == "This field is required.":
        fields["title"] = "Give your title, for example “City Manager”."
    authority = clean_text(data.get("authority"), "authority", fields, limit=AUTHORITY_MAX, required=True)
    if fields.get("authority") == "This field is required.":
        fields["authority"] = AUTHORITY_MISSING
    raise_if(fields, SIGNATURE_PROBLEMS)
    return {"name": name, "title": title, "authority": authority}


def clean_digest(raw) -> str:
    """A SHA-256 as printed on an addendum: 64 hexadecimal characters; spaces, line breaks and case are
    ignored (a digest copied from a PDF often wraps)."""
    value = re.sub(r"\s+", "", raw if isinstance(raw, str) else "").lower()
    if not value:
        raise ValidationFailed("Enter the digest printed on the addendum.",
                               {"digest": "Enter the SHA-256 digest printed on the addendum."})
    if not _DIGEST.fullmatch(value):
        raise ValidationFailed("That is not a SHA-256 digest.",
                               {"digest": f"A digest is 64 characters 0-9 and a-f; you entered {len(value)} "
                                          "characters." if len(value) != 64 else
                                          "A digest has only the characters 0-9 and a-f."})
    return value


def digest_in_pdf(content: bytes) -> str:
    """The digest an addendum PDF prints ("SHA-256 of the terms signed: …"), read from its text. A file that
    is not a PDF, cannot be read, or prints no digest is refused with a message on `file`."""
    def refuse(message: str) -> ValidationFailed:
        return ValidationFailed("The file cannot be checked.", {"file": message})

    if not content:
        raise refuse("Choose the addendum's PDF file.")
    if len(content) > PDF_MAX_BYTES:
        raise refuse("That file is larger than an addendum (at most 5 MB).")
    try:
        if detect(content) is not PDF:
            raise refuse("That is not a PDF: choose the addendum's PDF file.")
    except Refused as err:
        raise refuse(str(err)) from None
    try:
        reader = PdfReader(io.BytesIO(content))
        if len(reader.pages) > PDF_MAX_PAGES:
            raise refuse(NOT_AN_ADDENDUM)
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except ValidationFailed:
        raise
    except Exception:  # noqa: BLE001 - whatever a damaged or hostile PDF makes the parser raise
        raise refuse("This PDF cannot be read.") from None
    found = _PRINTED_DIGEST.search(text)
    if found is None:
        raise refuse(NOT_AN_ADDENDUM)
    return re.sub(r"\s+", "", found.group(1)).lower()
