"""Signed participation: the member's approver signs a participating addendum, the consortium office
countersigns it, and that countersignature executes it (DESIGN section 4, `Participation`).

Each signature stores the signer, the time and the SHA-256 of the addendum's terms (`terms.py`); changing
the terms of a requested participation voids its signatures, and both sides sign again. The steps are
rows of the participation lifecycle in `contracts.vehicles.services` (`sign`, `edit_terms`, `approve`),
whose side effects live in `effects.py`.
"""
