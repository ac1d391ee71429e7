"""Accounts: invitations by e-mail and password resets (single-use links, stored only as hashes)."""
