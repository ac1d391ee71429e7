"""Sourcing: requests for information with a partnership (MOU) outline, members' interest pooled into demand,
vendors' responses, and converting an RFI into a pilot or a draft vehicle (RFIs); mini-competitions under
multi-award vehicles (RFQs).

Sourcing sits above orders and vehicles and below finance (DESIGN section 6). It moves the needs an RFI links
through `consortium.planning.services.advance_need`, and tells planning what became of them through the ports
of `consortium.planning.queries`.
"""
