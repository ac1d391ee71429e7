"""Documents: files attached to listings, pilots, vehicles, participations, orders, observations, RFIs and needs."""
