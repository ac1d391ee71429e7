"""What a file really is, from its bytes alone (the name a person gave it never decides).

Allowed: PDF, PNG, JPEG (recognised by `filetype`), XLSX, DOCX, ODT, ODS (recognised as ZIP archives, then
checked for the real layout of that format: a ZIP that is not one of them is refused), and CSV (valid UTF-8,
a byte-order mark allowed, no NUL or control bytes, the same number of columns on every row with one of the
usual delimiters). Anything else is refused with a message naming the allowed types.

Polyglots are refused too: a PDF, PNG, JPEG or CSV that also carries a ZIP archive (a "GIFAR"-style file a
browser plug-in or an unzip tool would open as something else), a PDF without its end marker, a PNG with data
after its last chunk, and text or a PDF that starts as an HTML or XML page.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import filetype

ALLOWED = "PDF, PNG, JPEG, CSV, XLSX, DOCX, ODT or ODS"


@dataclass(frozen=True)
class Kind:
    media_type: str
    extension: str  # the canonical one, given to the download's file name
    label: str


PDF = Kind("application/pdf", "pdf", "PDF")
PNG = Kind("image/png", "png", "PNG")
JPEG = Kind("image/jpeg", "jpg", "JPEG")
CSV = Kind("text/csv", "csv", "CSV")
XLSX = Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "XLSX")
DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "DOCX")
ODT = Kind("application/vnd.oasis.opendocument.text", "odt", "ODT")
ODS = Kind("application/vnd.oasis.opendocument.spreadsheet", "ods", "ODS")
KINDS = (PDF, PNG, JPEG, CSV, XLSX, DOCX, ODT, ODS)
# Other spellings of an extension that name the same kind (a file keeps "photo.jpeg").
SYNONYMS = {"jpeg": "jpg", "jpe": "jpg"}

_ZIP_END = b"PK\x05\x06"  # a ZIP archive's end-of-central-directory record
_ZIP_TAIL = 65535 + 22    # the record sits within this many bytes of a ZIP's end
_MARKUP = (b"<!doctype", b"<html", b"<script", b"<?xml", b"<svg", b"<body", b"<head")
_PNG_END = b"IEND\xaeB`\x82"
CSV_DELIMITERS = (",", ";", "\t", "|")


def label_of(media_type: str) -> str:
    """'application/pdf' → 'PDF' (for the lists of documents)."""
    return next((kind.label for kind in KINDS if kind.media_type == media_type), media_type)


class Refused(ValueError):
    """The content is not an allowed type; the message says why, for the person who uploaded it."""


def _not_allowed(what: str) -> Refused:
    return Refused(f"{what} Upload a {ALLOWED} file.")


def _carries_zip(content: bytes) -> bool:
    return _ZIP_END in content[-_ZIP_TAIL:]


def _starts_as_markup(content: bytes) -> bool:
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") or any(tag in content[:1024].lower() for tag in _MARKUP)


def _check_pdf(content: bytes) -> Kind:
    if b"%%EOF" not in content[-1024:]:
        raise _not_allowed("This file starts like a PDF but has no PDF end marker (it is damaged or something else).")
    if _carries_zip(content):
        raise _not_allowed("This file is a PDF with a ZIP archive inside it, which is not accepted.")
    if any(tag in content[:1024].lower() for tag in _MARKUP):
        raise _not_allowed("This file starts like a PDF but holds a web page (HTML), which is not accepted.")
    return PDF


def _check_image(content: bytes, kind: Kind) -> Kind:
    if _carries_zip(content):
        raise _not_allowed(f"This file is a {kind.label} image with a ZIP archive appended, which is not accepted.")
    if kind is PNG and not content.rstrip(b"\x00").endswith(_PNG_END):
        raise _not_allowed("This PNG image has data after its end (or is cut short), which is not accepted.")
    return kind


def _office_kind(content: bytes) -> Kind:
    """An XLSX, DOCX, ODT or ODS by its ZIP layout; any other ZIP is refused. Nothing is decompressed but the
    few bytes of an OpenDocument `mimetype` entry."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        infos = archive.infolist()
        if infos and infos[0].filename == "mimetype" and infos[0].file_size <= 100:
            declared = archive.read("mimetype").decode("ascii", "replace").strip()
            for kind in (ODT, ODS):
                if declared == kind.media_type and {"content.xml", "META-INF/manifest.xml"} <= names:
                    return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, KeyError, OSError):
        raise _not_allowed("This file looks like a ZIP archive but cannot be read.") from None
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
    raise _not_allowed("This ZIP archive is not an XLSX, DOCX, ODT or ODS document.")


def _consistent(text: str, delimiter: str) -> bool:
    """Every non-empty row has the same number of columns, at least two."""
    counts = {len(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
              if any(cell.strip() for cell in row)}
    return len(counts) == 1 and counts.pop() >= 2


def _check_csv(content: bytes) -> Kind:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_allowed("This file is not a type that is accepted (and not UTF-8 text, so not a CSV).") from None
    if any((ord(c) < 32 and c not in "\t\r\n") or ord(c) == 127 for c in text):
        raise _not_allowed("This file holds control characters, so it is not a CSV file.")
    if not text.strip():
        raise _not_allowed("This file is empty.")
    if _starts_as_markup(content):
        raise _not_allowed("This file is a web page or XML, not a CSV file.")
    for delimiter in CSV_DELIMITERS:
        try:
            if _consistent(text, delimiter):
                return CSV
        except csv.Error:
            continue
    raise _not_allowed("This text file is not a CSV table: its rows do not have the same number of columns "
                       "separated by commas, semicolons, tabs or bars.")


def detect(content: bytes) -> Kind:
    """The kind of `content`, or `Refused` with a sentence saying why it is not accepted."""
    if not content:
        raise _not_allowed("The file is empty.")
    guess = filetype.guess(content)
    if guess is None:
        if _carries_zip(content):
            raise _not_allowed("This file carries a ZIP archive that is not an XLSX, DOCX, ODT or ODS document.")
        return _check_csv(content)
    if guess.mime == PDF.media_type:
        return _check_pdf(content)
    if guess.mime == PNG.media_type:
        return _check_image(content, PNG)
    if guess.mime == JPEG.media_type:
        return _check_image(content, JPEG)
    if guess.mime in ("application/zip", DOCX.media_type, XLSX.media_type, ODT.media_type, ODS.media_type) \
            or content.startswith(b"PK\x03\x04"):
        return _office_kind(content)
    raise _not_allowed(f"This file is {_describe(guess)}, which is not accepted.")


def _describe(guess) -> str:
    names = {"application/x-executable": "a program (ELF executable)", "application/x-msdownload":
             "a Windows program (EXE/DLL)", "application/x-sharedlib": "a program library"}
    return names.get(guess.mime, f"a {guess.extension.upper()} file ({guess.mime})")
