"""Clean review input (a form or the API) into plain data, or field errors (every problem at once)."""

from __future__ import annotations

from catalog.reviews.models import RATING_MAX, RATING_MIN, RATINGS, RESPONSE_MAX, TEXT_MAX
from marketplace.inputs import clean_text, parse_id, raise_if

RATING_MESSAGE = f"Give a whole number of stars from {RATING_MIN} to {RATING_MAX}."


def rating(raw, name: str, fields: dict) -> int | None:
    """A whole number 1–5 (an int from JSON, ASCII digits from a form); "4.5", 0, 6, true are refused."""
    if raw is None or raw == "":
        fields[name] = f"Rate {RATINGS[name].lower()} from {RATING_MIN} to {RATING_MAX} stars."
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        fields[name] = RATING_MESSAGE
        return None
    text = raw.strip() if isinstance(raw, str) else str(raw)
    if not (text.isascii() and text.isdigit()) or not RATING_MIN <= int(text) <= RATING_MAX:
        fields[name] = RATING_MESSAGE
        return None
    return int(text)


def clean_review(data: dict) -> dict:
    """{order_id, overall, service, value, quality, timeliness, text} → clean values (the order id is only
    parsed here; the service checks that it is an order the author's city may review the listing for)."""
    fields: dict[str, str] = {}
    order_id = parse_id(data.get("order_id"))
    if order_id is None:
        fields["order_id"] = "Choose the order you bought the listing through."
    clean = {"order_id": order_id}
    for name in RATINGS:
        clean[name] = rating(data.get(name), name, fields)
    clean["text"] = clean_text(data.get("text"), "text", fields, limit=TEXT_MAX, required=True)
    raise_if(fields, "The review cannot be submitted.")
    return clean


def clean_response(raw) -> str:
    fields: dict[str, str] = {}
    text = clean_text(raw, "text", fields, limit=RESPONSE_MAX, required=True)
    raise_if(fields, "The response cannot be saved.")
    return text
