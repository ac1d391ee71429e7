"""Who is told about signatures (DESIGN section 7): the member signed → the consortium's admins, who
countersign. (Execution and declines are told to the member's approvers by `contracts.vehicles.notifications`.)"""

from __future__ import annotations

from consortium import queries as people
from contracts.vehicles.models import Participation
from marketplace import audit
from marketplace.notifications.events import on
from marketplace.notifications.services import notify


@on(audit.PARTICIPATION_SIGNED)
def participation_signed(event, participation: Participation) -> None:
    vehicle, member = participation.vehicle, participation.member
    signer = people.person(event.actor_id)
    notify(people.admins_of(event.consortium_id), kind="participation",
           subject=f"{member.name} signed its participating addendum to {vehicle.number}",
           body=(f"{signer.name if signer else member.name} signed the participating addendum to vehicle "
                 f"{vehicle.number} ({vehicle.title}) for {member.name}. Countersign it to execute it, or decline "
                 "the request with a reason."),
           consortium_id=event.consortium_id, obj=participation, actor=signer,
           link=people.consortium_link(participation.consortium_id, "signing.countersign",
                                       participation_id=participation.id))
