"""Dashboards (DESIGN section 7, issue 14): spend committed, invoiced and paid by member, vehicle, vendor,
category and quarter; ceiling use per vehicle; verified savings and holdbacks; admin fees billed and paid. One
page for everyone, showing what the person may see (the office: the whole consortium; a member: its own orders;
a vendor: its own), with server-rendered SVG charts and the same figures in tables, a CSV of the spend table and
`GET /api/v1/reports/spend`."""
