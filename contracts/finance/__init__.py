"""Financing instruments on orders, and revolving innovation funds that finance orders and are repaid from
their verified savings (DESIGN sections 4 and 5b).

This sits above `contracts.observations`: a fund's repayments are read from the financed order's settlement,
which observations compute; nothing below imports finance (the order page's financing section is added
through `contracts.orders.queries.ORDER_PANELS`). The arithmetic is pure (`schedules`, `repayments`).
"""
