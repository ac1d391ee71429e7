"""RFQs: mini-competitions among the awarded vendors of a multi-award vehicle (DESIGN section 4, sourcing/).

A member that may buy under the vehicle issues a request for quotes (lines: name, unit, quantity; when quotes
close; how they are evaluated); every awarded vendor is told and may quote, each line with one of the price
items of its own schedule at most at its contract price, replacing its quote until the close. Quotes are
sealed: before the close the member sees only how many arrived, and a vendor never sees another's. After the
close the member compares them and awards one (a justification is needed for anything but the lowest total,
or with fewer than three quotes); the award is a draft order at the quoted prices.

The RFIs of `contracts.sourcing` and the RFQs share the sub-package; RFQs keep their own modules here (the
same file vocabulary), so neither grows past a readable size.
"""
