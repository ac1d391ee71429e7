"""Planning: the members' inventory of needs, priority rounds that rank and select them within a budget
envelope (DESIGN section 5b, pure arithmetic in `selection`), and the capital roadmap of selected needs by
fiscal year with their funding plans and what became of them.

Planning sits below the catalog and the contracts: what they add to a need (financing instruments, RFIs,
pilots, orders) reaches it through the ports in `consortium.planning.queries` (`NEED_PANELS`,
`NEED_OUTCOMES`, `NEED_FINANCING`), which those domains fill when they are imported.
"""
