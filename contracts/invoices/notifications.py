"""Who is told about invoices (DESIGN section 7, "Who is told what").

- an invoice submitted → the order's author and the member's approvers, who approve or reject it;
- an invoice decided (approved, rejected, marked paid) → the vendor's users.

The other way round, for a revenue share (the city bills the vendor):
- the city's invoice issued → the vendor's users, who pay it or reject it;
- the vendor's payment recorded, or its rejection → the order's author and the member's approvers.
"""

from __future__ import annotations

from consortium import queries as people
from contracts.invoices.models import Invoice
from contracts.observations.services import order_terms, period_label
from contracts.orders.notifications import author_and_approvers, order_name
from marketplace.formats import day, money
from marketplace.notifications.events import on
from marketplace.notifications.services import notify


def _for_what(invoice: Invoice) -> str:
    if invoice.block is not None:
        return f"the true-up of guarantee block {invoice.block}"
    if invoice.period is None:
        return "the lines"
    terms = order_terms(invoice.order)
    return period_label(terms, invoice.period) if terms is not None else f"period {invoice.period}"


def _link(invoice: Invoice) -> str:
    return people.consortium_link(invoice.consortium_id, "invoices.invoice", invoice_id=invoice.id)


def _name(invoice: Invoice) -> str:
    return f"Invoice {invoice.number} ({money(invoice.amount)})"


@on("invoice.submitted")
def invoice_submitted(event, invoice: Invoice) -> None:
    order = invoice.order
    notify(author_and_approvers(order), kind="invoice",
           subject=f"Invoice {invoice.number} for {money(invoice.amount)} on {order_name(order)} waits for your "
                   "decision",
           body=(f"{order.vendor.name} submitted invoice {invoice.number}, issued {day(invoice.issued_on)}, for "
                 f"{money(invoice.amount)} for {_for_what(invoice)} of {order_name(order)}. Approve it, or "
                 "reject it with a reason (the vendor can then invoice the amount again)."),
           consortium_id=event.consortium_id, obj=invoice, actor=people.person(event.actor_id), link=_link(invoice))


def _tell_vendor(event, invoice: Invoice, *, subject: str, body: str) -> None:
    notify(people.users_of(invoice.vendor_id), kind="invoice", subject=subject, body=body,
           consortium_id=event.consortium_id, obj=invoice, actor=people.person(event.actor_id), link=_link(invoice))


def _by(event, invoice: Invoice) -> str:
    actor = people.person(event.actor_id)
    member = invoice.order.member.name
    return f"{actor.name} of {member}" if actor is not None else member


@on("invoice.approved")
def invoice_approved(event, invoice: Invoice) -> None:
    note = f" They wrote: “{event.reason}”" if event.reason else ""
    _tell_vendor(event, invoice, subject=f"{_name(invoice)} was approved by {invoice.order.member.name}",
                 body=(f"{_by(event, invoice)} approved invoice {invoice.number} for {money(invoice.amount)} for "
                       f"{_for_what(invoice)} of {order_name(invoice.order)}. It is now due for payment.{note}"))


def _tell_city(event, invoice: Invoice, *, subject: str, body: str) -> None:
    notify(author_and_approvers(invoice.order), kind="invoice", subject=subject, body=body,
           consortium_id=event.consortium_id, obj=invoice, actor=people.person(event.actor_id), link=_link(invoice))


@on("invoice.issued")
def revenue_invoice_issued(event, invoice: Invoice) -> None:
    order = invoice.order
    _tell_vendor(event, invoice, subject=f"{order.member.name} invoices {order.vendor.name}: {_name(invoice)}",
                 body=(f"{_by(event, invoice)} issued invoice {invoice.number}, dated {day(invoice.issued_on)}, to "
                       f"{order.vendor.name} for {money(invoice.amount)}: the city's revenue share, "
                       f"{_for_what(invoice)} of {order_name(order)}. Record your payment once it is made, or "
                       "reject the invoice with a reason."))


@on("invoice.payment_recorded")
def revenue_invoice_paid(event, invoice: Invoice) -> None:
    vendor = invoice.order.vendor.name
    _tell_city(event, invoice, subject=f"{vendor} paid {_name(invoice)} on {day(invoice.paid_on)}",
               body=(f"{vendor} recorded that it paid your invoice {invoice.number} for {money(invoice.amount)} "
                     f"(the city's revenue share, {_for_what(invoice)} of {order_name(invoice.order)}) on "
                     f"{day(invoice.paid_on)}."))


@on("invoice.rejected")
def invoice_rejected(event, invoice: Invoice) -> None:
    if invoice.is_revenue_share:
        reason = f" The reason given: “{event.reason}”" if event.reason else ""
        _tell_city(event, invoice, subject=f"{_name(invoice)} was rejected by {invoice.order.vendor.name}",
                   body=(f"{invoice.order.vendor.name} rejected your invoice {invoice.number} for "
                         f"{money(invoice.amount)} ({_for_what(invoice)} of {order_name(invoice.order)}).{reason} "
                         "The amount can be billed again."))
        return
    reason = f" The reason given: “{event.reason}”" if event.reason else ""
    _tell_vendor(event, invoice, subject=f"{_name(invoice)} was rejected by {invoice.order.member.name}",
                 body=(f"{_by(event, invoice)} rejected invoice {invoice.number} for {money(invoice.amount)} for "
                       f"{_for_what(invoice)} of {order_name(invoice.order)}.{reason} The amount can be invoiced "
                       "again."))


@on("invoice.paid")
def invoice_paid(event, invoice: Invoice) -> None:
    _tell_vendor(event, invoice, subject=f"{_name(invoice)} was paid on {day(invoice.paid_on)}",
                 body=(f"{_by(event, invoice)} recorded that invoice {invoice.number} for {money(invoice.amount)} "
                       f"for {_for_what(invoice)} of {order_name(invoice.order)} was paid on {day(invoice.paid_on)}."))
