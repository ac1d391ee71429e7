"""Needs and priority rounds: recording and submitting needs, starting a round, adding candidates, rating,
closing (which ranks and selects, DESIGN section 5b), and moving selected needs on as work links to them.

The two lifecycles, each run by `marketplace.transitions.run` (locked re-read, state, predicate, effects,
audit):

    need            from                         to         who                                   audit action
    submit          draft                        submitted  the member's buyers and approvers     need.submitted
    select          submitted, deferred          selected   closing a round (its runner)          need.selected
    defer           submitted, deferred          deferred   closing a round, with the reason      need.deferred
    source          selected                     sourcing   an RFI linking it is published        need.sourcing
    release         sourcing                     selected   its last open RFI is cancelled        need.released
    pilot           selected, sourcing           piloting   an RFI is converted into a pilot      need.piloting
    order           selected, sourcing, piloting ordered    an order is recorded for it           need.ordered

    priority round  from   to      who (the owner member's approver; the office for a regional round)
    add_need        open   open    priority_round.need_added
    rate            open   open    priority_round.rated   (ratings cannot change once closed: 409)
    close           open   closed  priority_round.closed  (409 while a candidate lacks a rating)

Services take the acting user, flush and raise; the view or API call commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from consortium.models import Consortium, User
from consortium.planning import permissions as can
from consortium.planning import selection
from consortium.planning.models import (
    CANDIDATE_STATUSES,
    MAX_CANDIDATES,
    NEED_STATUS_LABELS,
    NEED_STATUSES,
    ROUND_STATUS_LABELS,
    ROUND_STATUSES,
    Need,
    PriorityRound,
    RoundCandidate,
)
from consortium.planning.validation import clean_need_data, clean_ratings, clean_round_data, parse_need_id
from marketplace import audit, transitions
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import raise_if
from marketplace.transitions import Lifecycle, transition

MEMBERS_RECORD = "Only buyers and approvers of a member city record its needs."
MEMBER_EDITS = "Only the need's city edits it, while it is a draft or submitted."
RUNNER = "Only the owner city's approver runs a member's round; the office runs regional rounds."
CONTENT = ("title", "problem", "category", "estimated_cost", "benefits", "fiscal_year", "funding")


# --- needs ----------------------------------------------------------------------------------------------


def _stamp_submitted(need: Need, ctx) -> None:
    need.submitted_at = utcnow()


def _round_of(need: Need) -> dict:
    return {"round_id": getattr(need, "_round_id", None)}


NEED_LIFECYCLE = Lifecycle(
    model=Need, noun="need", object_type="need", states=NEED_STATUSES, state_labels=NEED_STATUS_LABELS,
    transitions=(
        transition("submit", {"draft"}, "submitted", can.can_submit_need, "need.submitted", "submitted",
                   reason="none", effects=(_stamp_submitted,), denied=MEMBER_EDITS),
        transition("select", set(CANDIDATE_STATUSES), "selected", can.can_decide_need, "need.selected", "selected",
                   reason="none", denied=RUNNER, audit_after=_round_of),
        transition("defer", set(CANDIDATE_STATUSES), "deferred", can.can_decide_need, "need.deferred", "deferred",
                   reason="optional", denied=RUNNER, audit_after=_round_of),
        transition("source", {"selected"}, "sourcing", can.can_advance_need, "need.sourcing", "sourced",
                   reason="none"),
        transition("release", {"sourcing"}, "selected", can.can_advance_need, "need.released", "released",
                   reason="optional"),
        transition("pilot", {"selected", "sourcing"}, "piloting", can.can_advance_need, "need.piloting", "piloted",
                   reason="none"),
        transition("order", {"selected", "sourcing", "piloting"}, "ordered", can.can_advance_need, "need.ordered",
                   "ordered", reason="none"),
    ),
)


def need_content(need: Need) -> dict:
    return audit.snapshot(need, list(CONTENT))


def create_need(consortium: Consortium, data: dict, *, actor: User) -> Need:
    """A member city records a need (a draft) for itself."""
    if not can.can_record_need(actor, consortium):
        raise PermissionDenied(MEMBERS_RECORD)
    clean = clean_need_data(data)
    need = Need(consortium_id=consortium.id, member_id=actor.organization_id, created_by_id=actor.id,
                status="draft", **clean)
    db.session.add(need)
    db.session.flush()
    audit.record(consortium_id=need.consortium_id, actor=actor, action=audit.NEED_CREATED, obj=need,
                 after=need_content(need))
    return need


def open_round_of(need: Need) -> PriorityRound | None:
    """The open round the need is a candidate of, if any."""
    return db.session.scalar(select(PriorityRound).join(RoundCandidate).where(
        RoundCandidate.need_id == need.id, PriorityRound.status == "open"))


def update_need(need: Need, data: dict, *, actor: User) -> Need:
    """Change a need's content (the fields given; the others keep their values) while it is a draft or
    submitted and not a candidate of an open round (its ratings would no longer match it)."""
    db.session.flush()
    need = transitions.lock(Need, need.id)
    if not can.can_edit_need(actor, need):
        if can.is_member_staff(actor, need.member_id):
            raise Conflict(f"Need {need.reference} is {need.status_label.lower()}: it can no longer be edited.")
        raise PermissionDenied(MEMBER_EDITS)
    in_round = open_round_of(need)
    if in_round is not None:
        raise Conflict(f"Need {need.reference} is a candidate of the open round “{in_round.title}”: it cannot "
                       "change while it is being rated.")
    before = need_content(need)
    merged = {**before, **data}
    clean = clean_need_data({k: merged.get(k) for k in CONTENT})
    for name, value in clean.items():
        setattr(need, name, value)
    db.session.flush()
    audit.record(consortium_id=need.consortium_id, actor=actor, action=audit.NEED_UPDATED, obj=need, before=before,
                 after=need_content(need))
    return need


def submit_need(need: Need, *, actor: User) -> Need:
    """Put a draft forward: the consortium sees it (pooled demand) and a round can take it."""
    return transitions.run(NEED_LIFECYCLE, need, "submit", actor=actor)


def advance_need(need: Need, step: str, *, actor: User, reason: str | None = None) -> Need:
    """Move a selected need on as work links to it (`source`, `release`, `pilot`, `order`): what RFIs,
    pilots and orders call."""
    if step not in ("source", "release", "pilot", "order"):
        raise ValueError(f"not a step that links work to a need: {step!r}")
    return transitions.run(NEED_LIFECYCLE, need, step, actor=actor, reason=reason)


# --- priority rounds ------------------------------------------------------------------------------------


def _detail(round_: PriorityRound) -> dict:
    return getattr(round_, "_audit_detail", {})


def _add_need(round_: PriorityRound, ctx) -> None:
    need = _candidate_need(round_, ctx["need_id"])
    if len(round_.candidates) >= MAX_CANDIDATES:
        raise Conflict(f"A round takes at most {MAX_CANDIDATES} needs.")
    round_.candidates.append(RoundCandidate(need=need, added_by_id=ctx.actor.id, ratings={}))
    round_._audit_detail = {"need_id": need.id}


def _candidate_need(round_: PriorityRound, need_id: int) -> Need:
    """A need the round may take: of the owner member (any member's, for a regional round), submitted or
    deferred by an earlier round, and in no other open round."""
    need = db.session.scalar(select(Need).where(Need.id == need_id, Need.consortium_id == round_.consortium_id)
                             .execution_options(all_tenants=True))
    whose = "a member city" if round_.is_regional else round_.owner.name
    if need is None or need.status == "draft" or (not round_.is_regional and need.member_id != round_.owner_id):
        raise ValidationFailed("The need cannot be added.", {"need_id": f"No submitted need of {whose} with this id."})
    if any(c.need_id == need.id for c in round_.candidates):
        raise Conflict(f"Need {need.reference} “{need.title}” is already a candidate of this round.")
    if need.status not in CANDIDATE_STATUSES:
        raise Conflict(f"Need {need.reference} is {need.status_label.lower()}: only submitted or deferred needs "
                       "can be candidates.", {"need_id": "Not submitted or deferred."})
    other = open_round_of(need)
    if other is not None:
        raise Conflict(f"Need {need.reference} is already a candidate of the open round “{other.title}”.",
                       {"need_id": "In another open round."})
    return need


def _rate(round_: PriorityRound, ctx) -> None:
    changes = {}
    for need_id, ratings in ctx["grid"].items():
        candidate = next((c for c in round_.candidates if c.need_id == need_id), None)
        if candidate is None:
            raise ValidationFailed("The ratings cannot be saved.",
                                   {"need_id": "This need is not a candidate of the round."})
        candidate.ratings = {**(candidate.ratings or {}), **ratings}
        changes[str(need_id)] = ratings
    round_._audit_detail = {"ratings": changes}


def candidate_of(c: RoundCandidate) -> selection.Candidate:
    need = c.need
    return selection.Candidate(need.id, need.title, need.estimated_cost, (need.created_at, need.id),
                               c.ratings or {})


def criteria_of(round_: PriorityRound) -> list[selection.Criterion]:
    return [selection.Criterion(c["name"], Decimal(c["weight"])) for c in round_.criteria or []]


def _close(round_: PriorityRound, ctx) -> None:
    """Rank and select (DESIGN section 5b), store the result on the candidates and mark the needs."""
    if not round_.candidates:
        raise Conflict("Add at least one need to the round before closing it.")
    criteria = criteria_of(round_)
    for c in round_.candidates:
        lacking = selection.missing(criteria, candidate_of(c))
        if lacking:
            names = ", ".join(f"“{name}”" for name in lacking)
            raise Conflict(f"Need {c.need.reference} “{c.need.title}” has no rating for {names}: rate every need "
                           "on every criterion before closing the round.", {"ratings": f"{c.need.reference} lacks "
                                                                                        "a rating."})
    result = selection.select(round_.budget, criteria, [candidate_of(c) for c in round_.candidates])
    by_need = {c.need_id: c for c in round_.candidates}
    for ranked in result.ranking:
        c = by_need[ranked.need_id]
        c.score, c.rank, c.is_selected, c.reason = ranked.score, ranked.rank, ranked.selected, ranked.reason
        c.need._round_id = round_.id
        transitions.run(NEED_LIFECYCLE, c.need, "select" if ranked.selected else "defer", actor=ctx.actor,
                        reason=ranked.reason)
    round_.selected_total, round_.remaining = result.selected_total, result.remaining
    round_.closed_at, round_.closed_by_id = utcnow(), ctx.actor.id
    round_._audit_detail = {"selected": [r.need_id for r in result.selected],
                            "deferred": [r.need_id for r in result.deferred],
                            "selected_total": result.selected_total, "remaining": result.remaining}


ROUND_LIFECYCLE = Lifecycle(
    model=PriorityRound, noun="priority round", object_type="priority_round", states=ROUND_STATUSES,
    state_labels=ROUND_STATUS_LABELS,
    transitions=(
        transition("add_need", {"open"}, None, can.can_run_round, "priority_round.need_added", "changed",
                   reason="none", effects=(_add_need,), denied=RUNNER, audit_after=_detail),
        transition("rate", {"open"}, None, can.can_run_round, "priority_round.rated", "rated", reason="none",
                   effects=(_rate,), denied=RUNNER, audit_after=_detail),
        transition("close", {"open"}, "closed", can.can_run_round, "priority_round.closed", "closed",
                   reason="none", effects=(_close,), denied=RUNNER, audit_after=_detail),
    ),
)


def start_round(consortium: Consortium, data: dict, *, actor: User) -> PriorityRound:
    """A member's approver starts the member's round; an admin starts a regional round (owned by the office)."""
    if not can.can_start_round(actor, consortium):
        raise PermissionDenied("Only a member city's approver (for the city) or the office (for the region) "
                               "starts a priority round.")
    clean = clean_round_data(data)
    round_ = PriorityRound(consortium_id=consortium.id, owner_id=actor.organization_id, created_by_id=actor.id,
                           status="open", **clean)
    db.session.add(round_)
    db.session.flush()
    audit.record(consortium_id=round_.consortium_id, actor=actor, action=audit.PRIORITY_ROUND_STARTED, obj=round_,
                 after=audit.snapshot(round_, ["owner_id", "title", "fiscal_year", "budget", "criteria"]))
    return round_


def add_candidate(round_: PriorityRound, data: dict, *, actor: User) -> PriorityRound:
    """Add a need to an open round ({need_id})."""
    fields: dict[str, str] = {}
    need_id = parse_need_id(data.get("need_id"), fields)
    raise_if(fields, "The need cannot be added.")
    return transitions.run(ROUND_LIFECYCLE, round_, "add_need", actor=actor, need_id=need_id)


def rate_need(round_: PriorityRound, data: dict, *, actor: User) -> PriorityRound:
    """{need_id, ratings: {criterion: 1..5}}: set some or all of a candidate's ratings."""
    fields: dict[str, str] = {}
    need_id = parse_need_id(data.get("need_id"), fields)
    ratings = clean_ratings(data.get("ratings"), round_.criterion_names, fields)
    raise_if(fields, "The ratings have problems to correct.")
    return transitions.run(ROUND_LIFECYCLE, round_, "rate", actor=actor, grid={need_id: ratings})


def rate_grid(round_: PriorityRound, grid: dict[int, dict], *, actor: User) -> PriorityRound:
    """The rating grid of the round page: {need_id: {criterion: rating}} for every candidate at once (blank
    cells are left unrated). Field messages are keyed `ratings.<need_id>.<criterion>`."""
    fields: dict[str, str] = {}
    clean = {}
    for need_id, ratings in grid.items():
        given = {name: value for name, value in ratings.items() if value not in (None, "")}
        if given:
            clean[need_id] = clean_ratings(given, round_.criterion_names, fields, path=f"ratings.{need_id}")
    raise_if(fields, "Some ratings are not from 1 to 5.")
    if not clean:
        raise ValidationFailed("Enter at least one rating.", {})
    return transitions.run(ROUND_LIFECYCLE, round_, "rate", actor=actor, grid=clean)


def close_round(round_: PriorityRound, *, actor: User) -> PriorityRound:
    """Rank and select; 409 naming the need while a candidate lacks a rating."""
    return transitions.run(ROUND_LIFECYCLE, round_, "close", actor=actor)


@dataclass(frozen=True)
class RankRow:
    """A line of a round's ranking, for pages and the API: stored once the round is closed, provisional (from
    the ratings so far) while it is open."""

    need: Need
    score: Decimal | None
    rank: int | None
    selected: bool | None
    reason: str | None


@dataclass(frozen=True)
class RoundResult:
    rows: list[RankRow]
    selected_total: Decimal
    remaining: Decimal
    final: bool


def round_result(round_: PriorityRound) -> RoundResult:
    """The ranking: as stored at the close, or what closing now would give (needs lacking a rating last,
    unranked)."""
    if round_.status == "closed":
        rows = sorted((RankRow(c.need, c.score, c.rank, c.is_selected, c.reason) for c in round_.candidates),
                      key=lambda r: (r.rank is None, r.rank or 0, r.need.id))
        return RoundResult(rows, round_.selected_total or Decimal("0.00"), round_.remaining or Decimal("0.00"), True)
    result = selection.select(round_.budget, criteria_of(round_), [candidate_of(c) for c in round_.candidates])
    needs = {c.need_id: c.need for c in round_.candidates}
    rows = [RankRow(needs[r.need_id], r.score, r.rank, r.selected, r.reason) for r in result.ranking]
    rows += [RankRow(needs[c.need_id], None, None, None, None) for c in result.unrated]
    return RoundResult(rows, result.selected_total, result.remaining, False)
