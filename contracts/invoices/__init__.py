"""Invoices against orders, and closeout (completing or terminating an order).

This sits above `contracts.observations` because what an invoice may ask for a period is the settlement's
payable for it, and closeout needs the settlement's holdback windows; orders know neither.
"""
