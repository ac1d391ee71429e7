"""Vehicle and participation forms. They only parse (and refuse text over the limits declared next to
the models); `contracts.vehicles.validation` owns the rules and messages.

The price schedule works without JavaScript: the edit page shows one row per price item of the
covered listings (`contract_price-<price item id>`); a blank price leaves the item off the schedule.
A vehicle awarding several vendors is edited award by award on the same page: each award's vendor is
fixed (its listings are the checked ones of that vendor; `remove_awards` drops an award), and a vendor is
added on its own small page (`AwardForm`).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from catalog.listings.forms import CheckboxesField
from contracts.vehicles.models import (
    NOTES_MAX,
    NUMBER_MAX,
    RENEWAL_MONTHS_MAX,
    RENEWALS_MAX,
    SPECIAL_TERMS_MAX,
    TITLE_MAX,
)
from marketplace.inputs import DATE_HINT, REASON_LIMIT, parse_id

SCHEDULE_PREFIX = "contract_price-"


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit} characters.")


class VehicleForm(FlaskForm):
    number = StringField("Vehicle number", validators=[_at_most(NUMBER_MAX)],
                         description="Unique in the consortium, for example GPSR-2026-003.")
    title = StringField("Title", validators=[_at_most(TITLE_MAX)],
                        description="What the contract covers, in a few words.")
    lead_agency_id = SelectField("Lead agency", choices=[], validate_choice=False,
                                 description="The member city that awarded the contract for the consortium.")
    vendor_id = SelectField("Vendor", choices=[], validate_choice=False)
    listing_ids = CheckboxesField("Covered listings", choices=[], validate_choice=False)
    start_date = StringField("Start date", description=DATE_HINT)
    end_date = StringField("End date", description=f"The last day of the base term. {DATE_HINT}")
    renewal_count = StringField(
        "Renewal options", description=f"How many times the consortium may extend the term (0 to {RENEWALS_MAX}).")
    renewal_months = StringField("Months per renewal",
                                 description=f"Length of each renewal (1 to {RENEWAL_MONTHS_MAX} months).")
    ceiling = StringField("Ceiling (USD)",
                          description="Not-to-exceed across all members' orders, for example 2000000.00.")
    admin_fee_pct = StringField("Admin fee (%)", description="Paid to the consortium on orders, for example 1.5.")
    notes = TextAreaField("Documents and notes", validators=[_at_most(NOTES_MAX)],
                          description="Solicitation and award references, where the documents are, anything "
                                      "members should know.")

    remove_awards = CheckboxesField("Remove these awards", choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.schedule_values: dict[int, str] = {}
        self.schedule_errors: dict[int, str] = {}
        self._schedule_order: list[int] = []
        self._listing_titles: dict[int, str] = {}
        self._listing_vendor: dict[int, int] = {}
        # Several awards: the vendors in award order, and per award the order of the lines sent.
        self.award_vendors: list[tuple[int, str]] = []
        self._award_lines: list[list[int]] = []
        self._item_listing: dict[int, int] = {}

    def set_choices(self, members, vendors, listings, awards=()) -> None:
        """`awards` (the vehicle's, when it awards several vendors) fixes the vendors of the edit page."""
        self.lead_agency_id.choices = [("", "- Select -")] + [(str(o.id), o.name) for o in members]
        self.vendor_id.choices = [("", "- Select -")] + [(str(o.id), o.name) for o in vendors]
        self.listing_ids.choices = [(str(x.id), x.title) for x in listings]
        self._listing_titles = {x.id: x.title for x in listings}
        self._listing_vendor = {x.id: x.vendor_id for x in listings}
        self.award_vendors = [(a.vendor_id, a.vendor.name) for a in awards] if len(awards) > 1 else []
        self.remove_awards.choices = [(str(vendor_id), name) for vendor_id, name in self.award_vendors]

    @property
    def is_multi_award(self) -> bool:
        return bool(self.award_vendors)

    def checked_listing_ids(self) -> list[int]:
        return [i for i in (parse_id(v) for v in (self.listing_ids.data or [])) if i is not None]

    def fill(self, content: dict) -> None:
        """Prefill from `contracts.vehicles.services.vehicle_content` (GET of the edit page)."""
        for name in ("number", "title", "start_date", "end_date", "ceiling", "admin_fee_pct", "notes"):
            getattr(self, name).data = content[name] or ""
        self.lead_agency_id.data = str(content["lead_agency_id"])
        awards = content["awards"]
        self.vendor_id.data = str(awards[0]["vendor_id"]) if awards else ""
        self.listing_ids.data = [str(i) for award in awards for i in award["listing_ids"]]
        self.renewal_count.data = str(content["renewal_options"]["count"])
        months = content["renewal_options"]["months"]
        self.renewal_months.data = str(months) if months else ""
        self.schedule_values = {row["price_item_id"]: row["contract_price"]
                                for award in awards for row in award["price_schedule"]}

    def read_schedule(self, formdata) -> None:
        """The contract prices typed into the schedule rows (POST of the edit page)."""
        self.schedule_values = {
            parse_id(key[len(SCHEDULE_PREFIX):]): (value or "").strip()
            for key, value in formdata.items()
            if key.startswith(SCHEDULE_PREFIX) and parse_id(key[len(SCHEDULE_PREFIX):]) is not None
        }

    def to_data(self, listing_of_item: dict[int, int] | None = None) -> dict:
        """The API's JSON shape. With `listing_of_item` (price item id → listing id, on the edit page)
        the schedule is included: the priced rows of the listings still checked."""
        data = {
            "number": self.number.data or "",
            "title": self.title.data or "",
            "lead_agency_id": self.lead_agency_id.data or None,
            "vendor_id": self.vendor_id.data or None,
            "listing_ids": self.checked_listing_ids(),
            "start_date": (self.start_date.data or "").strip(),
            "end_date": (self.end_date.data or "").strip(),
            "renewal_options": {"count": (self.renewal_count.data or "0").strip(),
                                "months": (self.renewal_months.data or "").strip()},
            "ceiling": self.ceiling.data or "",
            "admin_fee_pct": self.admin_fee_pct.data or "",
            "notes": self.notes.data or "",
        }
        if listing_of_item is not None:
            self._item_listing = dict(listing_of_item)
            checked = set(data["listing_ids"])
            self._schedule_order = [item_id for item_id, value in self.schedule_values.items()
                                    if value and listing_of_item.get(item_id) in checked]
            data["price_schedule"] = [{"price_item_id": item_id, "contract_price": self.schedule_values[item_id]}
                                      for item_id in self._schedule_order]
        if self.is_multi_award:
            data["awards"] = self._awards(data.pop("listing_ids"), data.pop("price_schedule", None))
            del data["vendor_id"]
        return data

    def _awards(self, listing_ids: list[int], schedule: list[dict] | None) -> list[dict]:
        """The awards of the edit page: each kept vendor with its checked listings and priced rows."""
        removed = {parse_id(v) for v in (self.remove_awards.data or [])}
        awards, self._award_lines = [], []
        for vendor_id, _name in self.award_vendors:
            if vendor_id in removed:
                continue
            mine = [i for i in listing_ids if self._listing_vendor.get(i) == vendor_id]
            lines = [row for row in schedule or [] if row["price_item_id"] in self._items_of(mine)]
            awards.append({"vendor_id": vendor_id, "listing_ids": mine, "price_schedule": lines})
            self._award_lines.append([row["price_item_id"] for row in lines])
        return awards

    def _items_of(self, listing_ids: list[int]) -> set[int]:
        wanted = set(listing_ids)
        return {item_id for item_id, listing_id in self._item_listing.items() if listing_id in wanted}

    def attach_errors(self, fields: dict[str, str]) -> None:
        """Put the service's messages on the matching fields and schedule rows."""
        checked = self.checked_listing_ids()
        for path, message in fields.items():
            parts = path.split(".")
            if parts[0] == "awards":
                self._attach_award_error(parts, message)
                continue
            head = parts[0]
            if head == "price_schedule":
                index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                if index is not None and index < len(self._schedule_order):
                    self.schedule_errors[self._schedule_order[index]] = message
                self.form_errors.append(f"Price schedule: {message}")
                continue
            if head == "listing_ids" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(checked):
                title = self._listing_titles.get(checked[int(parts[1])])
                message = f"“{title}”: {message}" if title else message
            if head == "renewal_options":
                head = "renewal_months" if parts[-1] == "months" else "renewal_count"
            field = getattr(self, head, None) if head in self._fields and head != "csrf_token" else None
            if field is not None:
                field.errors = list(field.errors) + [message]
            else:
                self.form_errors.append(message)

    def _attach_award_error(self, parts: list[str], message: str) -> None:
        """`awards.N.…` messages: at the schedule row or the listings, named by the award's vendor."""
        kept = [v for v in self.award_vendors if str(v[0]) not in (self.remove_awards.data or [])]
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(kept) else None
        name = kept[index][1] if index is not None else "Awards"
        if index is not None and len(parts) > 3 and parts[2] == "price_schedule" and parts[3].isdigit():
            lines = self._award_lines[index] if index < len(self._award_lines) else []
            if int(parts[3]) < len(lines):
                self.schedule_errors[lines[int(parts[3])]] = message
        if index is not None and len(parts) > 2 and parts[2] == "listing_ids":
            self.listing_ids.errors = list(self.listing_ids.errors) + [f"{name}: {message}"]
            return
        self.form_errors.append(f"{name}: {message}")


class AwardForm(FlaskForm):
    """Add an award to a draft vehicle: one more vendor and the listings of it the vehicle covers (the
    contract prices are set afterwards on the edit page, like a new vehicle's)."""

    vendor_id = SelectField("Vendor", choices=[], validate_choice=False,
                            description="An approved supplier of the consortium not yet awarded on this vehicle.")
    listing_ids = CheckboxesField("Covered listings", choices=[], validate_choice=False)

    def set_choices(self, vendors, listings) -> None:
        self.vendor_id.choices = [("", "- Select -")] + [(str(o.id), o.name) for o in vendors]
        self.listing_ids.choices = [(str(x.id), x.title) for x in listings]
        self._titles = {x.id: x.title for x in listings}

    def checked_listing_ids(self) -> list[int]:
        return [i for i in (parse_id(v) for v in (self.listing_ids.data or [])) if i is not None]

    def to_data(self) -> dict:
        return {"vendor_id": self.vendor_id.data or None, "listing_ids": self.checked_listing_ids()}

    def attach_errors(self, fields: dict[str, str]) -> None:
        checked = self.checked_listing_ids()
        for path, message in fields.items():
            parts = path.split(".")
            if parts[0] == "listing_ids":
                index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                title = self._titles.get(checked[index]) if index is not None and index < len(checked) else None
                shown = f"“{title}”: {message}" if title else message
                self.listing_ids.errors = list(self.listing_ids.errors) + [shown]
            elif parts[0] == "vendor_id":
                self.vendor_id.errors = list(self.vendor_id.errors) + [message]
            else:
                self.form_errors.append(message)


class JoinForm(FlaskForm):
    member_not_to_exceed = StringField(
        "Member not-to-exceed (USD, optional)",
        description="The most your city will order under this vehicle, for example 250000.00. Leave blank for "
                    "no member limit (orders still count against the vehicle's ceiling).")
    special_terms = TextAreaField(
        "Special terms (optional)", validators=[_at_most(SPECIAL_TERMS_MAX)],
        description="Terms particular to your city, for example local insurance or billing requirements.")

    def to_data(self) -> dict:
        data = {"special_terms": self.special_terms.data or ""}
        if (self.member_not_to_exceed.data or "").strip():
            data["member_not_to_exceed"] = self.member_not_to_exceed.data.strip()
        return data

    def attach_errors(self, fields: dict[str, str]) -> None:
        for name, message in fields.items():
            field = getattr(self, name, None) if name in self._fields else None
            if field is not None:
                field.errors = list(field.errors) + [message]
            else:
                self.form_errors.append(message)


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Optional(), _at_most(REASON_LIMIT)])


class AmendmentForm(FlaskForm):
    """The price-schedule amendment page: one input per schedule line whose contract price is above its
    list price (`contract_price-<price item id>`), prefilled with the list price; a blank input leaves
    the line as it is. Works without JavaScript."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.values: dict[int, str] = {}
        self.row_errors: dict[int, str] = {}
        self._order: list[int] = []

    def fill(self, rows: list[dict]) -> None:
        self.values = {row["price_item"].id: str(row["list_price"]) for row in rows}

    def read_prices(self, formdata, rows: list[dict]) -> None:
        self.values = {row["price_item"].id: (formdata.get(f"{SCHEDULE_PREFIX}{row['price_item'].id}") or "").strip()
                       for row in rows}

    def to_data(self) -> dict:
        """The API's shape: {items: [{price_item_id, contract_price}]} for the rows filled in."""
        self._order = [item_id for item_id, value in self.values.items() if value]
        return {"items": [{"price_item_id": item_id, "contract_price": self.values[item_id]}
                          for item_id in self._order]}

    def attach_errors(self, fields: dict[str, str]) -> None:
        for path, message in fields.items():
            parts = path.split(".")
            if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(self._order):
                self.row_errors[self._order[int(parts[1])]] = message
            self.form_errors.append(message)
