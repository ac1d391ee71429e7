"""The categories of technology (DESIGN section 7), shared by the catalog's listings, the planning of needs and
the sourcing of RFIs: one list, so a need, an RFI and a listing of the same kind always agree."""

from __future__ import annotations

CATEGORIES = {
    "lighting": "Lighting",
    "parking": "Parking",
    "mobility": "Mobility",
    "water": "Water",
    "energy": "Energy",
    "ev_charging": "EV charging",
    "connectivity": "Connectivity",
    "public_safety": "Public safety",
    "environment": "Environment",
    "waste": "Waste",
    "buildings": "Buildings",
    "data_platforms": "Data platforms",
}
