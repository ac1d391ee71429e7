"""Who: consortia, organizations, users, roles, API tokens, sign-in and governance."""
