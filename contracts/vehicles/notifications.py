"""Who is told about contract vehicles and participation (DESIGN section 7, "Who is told what").

Events:
- participation requested → the consortium's admins (they execute or decline the addendum);
- participation executed or declined → the member's approvers.

Daily reminders (`flask --app marketplace reminders run`):
- a vehicle ends in 90, 60 and 30 days (once each) → the admins, the lead agency's approvers and the
  participating members' approvers;
- a participation request has waited 7 days → the admins.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consortium import queries as people
from contracts.vehicles.models import Award, Participation, Vehicle
from marketplace.extensions import db
from marketplace.formats import day, money
from marketplace.notifications.events import on
from marketplace.notifications.reminders import reminder
from marketplace.notifications.services import notify

ENDING_THRESHOLDS = (90, 60, 30)  # days before a vehicle's end date; each is told once
REQUEST_WAITS_DAYS = 7


def _vehicle_name(vehicle: Vehicle) -> str:
    return f"{vehicle.number} ({vehicle.title})"


def _limit(participation: Participation) -> str:
    if participation.member_not_to_exceed is None:
        return ""
    return f" up to {money(participation.member_not_to_exceed)}"


def _asked_limit(participation: Participation) -> str:
    if participation.member_not_to_exceed is None:
        return ""
    return f" with a not-to-exceed of {money(participation.member_not_to_exceed)}"


def _participation_link(participation: Participation) -> str:
    return people.consortium_link(participation.consortium_id, "vehicles.participation",
                                  participation_id=participation.id)


# --- events ---------------------------------------------------------------------------------------------


@on("participation.requested")
def participation_requested(event, participation: Participation) -> None:
    vehicle, member = participation.vehicle, participation.member
    asker = people.person(event.actor_id)
    terms = f" Special terms: “{participation.special_terms}”" if participation.special_terms else ""
    notify(people.admins_of(event.consortium_id), kind="participation",
           subject=f"{member.name} asks to join vehicle {vehicle.number}",
           body=(f"{asker.name if asker else member.name} of {member.name} asked to join vehicle "
                 f"{_vehicle_name(vehicle)}{_asked_limit(participation)}.{terms} Approve the participating "
                 "addendum or decline the request with a reason."),
           consortium_id=event.consortium_id, obj=participation, actor=asker,
           link=_participation_link(participation))


@on("participation.executed")
def participation_executed(event, participation: Participation) -> None:
    vehicle, member = participation.vehicle, participation.member
    notify(people.approvers_of(participation.member_id), kind="participation",
           subject=f"{member.name} may now buy under vehicle {vehicle.number}",
           body=(f"The consortium office approved {member.name}'s request to join vehicle {_vehicle_name(vehicle)}: "
                 f"the participating addendum is executed, and {member.name}'s buyers can now place orders under "
                 f"it{_limit(participation)}."),
           consortium_id=event.consortium_id, obj=participation, actor=people.person(event.actor_id),
           link=_participation_link(participation))


@on("participation.declined")
def participation_declined(event, participation: Participation) -> None:
    vehicle, member = participation.vehicle, participation.member
    reason = f" The consortium office wrote: “{event.reason}”" if event.reason else ""
    notify(people.approvers_of(participation.member_id), kind="participation",
           subject=f"{member.name}'s request to join vehicle {vehicle.number} was declined",
           body=(f"The consortium office declined {member.name}'s request to join vehicle "
                 f"{_vehicle_name(vehicle)}.{reason}"),
           consortium_id=event.consortium_id, obj=participation, actor=people.person(event.actor_id),
           link=_participation_link(participation))


# --- reminders ------------------------------------------------------------------------------------------


def ending_threshold(days_left: int) -> int | None:
    """The notice a vehicle with `days_left` days to run is due (the tightest threshold it is within), or
    None. A job that missed the 90th day still tells at 89 days, and never tells 90 after 60."""
    crossed = [t for t in ENDING_THRESHOLDS if days_left <= t]
    return min(crossed) if crossed else None


def _renewal_sentence(vehicle: Vehicle) -> str:
    if vehicle.renewals_left > 0:
        options = "option" if vehicle.renewals_left == 1 else "options"
        return (f"{vehicle.renewals_left} renewal {options} of {vehicle.renewal_months} months remain: the consortium "
                "office can exercise one before the end date.")
    return "No renewal options remain: orders can no longer be placed under it after the end date."


@reminder("vehicle_ending")
def vehicles_ending(today: date | None) -> int:
    """Active vehicles ending within 90, 60 or 30 days: one notice per threshold (and per end date, so a
    renewal starts the count afresh)."""
    written = 0
    for consortium, on_day in people.days_by_consortium(today):
        vehicles = list(db.session.scalars(
            select(Vehicle).where(Vehicle.consortium_id == consortium.id, Vehicle.status == "active",
                                  Vehicle.end_date >= on_day,
                                  Vehicle.end_date <= on_day + timedelta(days=max(ENDING_THRESHOLDS)))
            .options(selectinload(Vehicle.participations), selectinload(Vehicle.awards).selectinload(Award.vendor))
            .order_by(Vehicle.id)
            .execution_options(all_tenants=True)))  # the job names each consortium itself
        if not vehicles:
            continue
        members = {v.lead_agency_id for v in vehicles} | {
            p.member_id for v in vehicles for p in v.participations if p.status == "executed"}
        approvers = people.approvers_by_organization(members)
        admins = people.admins_of(consortium.id)
        for vehicle in vehicles:
            days_left = (vehicle.end_date - on_day).days
            threshold = ending_threshold(days_left)
            taking_part = [vehicle.lead_agency_id] + [
                p.member_id for p in vehicle.participations if p.status == "executed"]
            recipients = admins + [a for member in taking_part for a in approvers.get(member, [])]
            when = "today" if days_left == 0 else f"in {days_left} day{'s' if days_left != 1 else ''}"
            written += len(notify(
                recipients, kind="vehicle_ending",
                subject=f"Vehicle {vehicle.number} ends {when}, on {day(vehicle.end_date)}",
                body=(f"Vehicle {_vehicle_name(vehicle)} with {vehicle.vendor_names} ends on {day(vehicle.end_date)}. "
                      f"{money(vehicle.remaining)} of its {money(vehicle.ceiling)} ceiling remains. "
                      f"{_renewal_sentence(vehicle)}"),
                consortium_id=consortium.id, obj=vehicle,
                link=people.consortium_link(consortium.id, "vehicles.detail", vehicle_id=vehicle.id),
                once_key=f"vehicle-ending:{vehicle.id}:{vehicle.end_date.isoformat()}:{threshold}"))
    return written


@reminder("participation_waiting")
def participation_requests_waiting(today: date | None) -> int:
    """Requests to join that have waited 7 days or more for the office: the admins are told once."""
    written = 0
    for consortium, on_day in people.days_by_consortium(today):
        cutoff = people.start_of_day(consortium, on_day - timedelta(days=REQUEST_WAITS_DAYS - 1))
        waiting = list(db.session.scalars(
            select(Participation).where(Participation.consortium_id == consortium.id,
                                        Participation.status == "requested", Participation.created_at < cutoff)
            .options(selectinload(Participation.vehicle), selectinload(Participation.member))
            .order_by(Participation.id).execution_options(all_tenants=True)))
        if not waiting:
            continue
        admins = people.admins_of(consortium.id)
        for participation in waiting:
            asked_on = people.local_date(consortium, participation.created_at)
            days = (on_day - asked_on).days
            vehicle, member = participation.vehicle, participation.member
            written += len(notify(
                admins, kind="participation",
                subject=f"{member.name}'s request to join vehicle {vehicle.number} has waited {days} days",
                body=(f"{member.name} asked on {day(asked_on)} to join vehicle {_vehicle_name(vehicle)}"
                      f"{_asked_limit(participation)}. The request still waits for the consortium office: approve "
                      "the participating addendum or decline it with a reason."),
                consortium_id=consortium.id, obj=participation, link=_participation_link(participation),
                once_key=f"participation-waiting:{participation.id}"))
    return written
