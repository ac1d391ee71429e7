"""Open data: the consortium's vehicles and orders as an OCDS 1.1 release package (DESIGN section 7).

`queries` loads the published rows of one consortium, `services` turns them into the package (pure functions,
no database), `api` serves `GET /api/v1/ocds/releases.json`.
"""
