"""The closed set of notification kinds: what a person may switch e-mail off for, per kind.

The in-app inbox always gets everything; `account` mail (invitations, password resets) cannot be
switched off and is never shown in the inbox.
"""

from __future__ import annotations

ACCOUNT = "account"

# kind → what the preference page says about it
KINDS: dict[str, str] = {
    "listing_review": "A listing or a change to one is waiting for review",
    "listing_decided": "Your listing was approved, sent back or suspended",
    "participation": "Requests to join a contract vehicle, and their decisions",
    "order_approval": "An order needs your approval",
    "order_progress": "An order was approved, accepted or declined",
    "measurement": "Measurements reported, disputed or waiting for verification",
    "period_due": "A performance period is due to be reported",
    "invoice": "Invoices submitted and decided",
    "vehicle_ending": "A contract vehicle is about to end",
    "rfi": "Requests for information: new ones in your categories, responses to yours, cancellations",
    "rfq": "Requests for quotes under a multi-award vehicle: new ones, closes, awards and cancellations",
    "review": "A review of your listing was published",
    "sales_report": "Quarterly sales reports: opened, due soon, late, returned or accepted",
}

SWITCHABLE = tuple(KINDS)
