"""Reading an invitation, an accepted invitation and a new password from a form or the command line:
plain data, or field messages. The password rules are those of every account
(`consortium.services.check_password_strength`)."""

from __future__ import annotations

from consortium import services as people
from consortium.models import PERSON_NAME_MAX, ROLES
from marketplace.errors import ValidationFailed
from marketplace.inputs import clean_text, parse_choice, parse_id, raise_if


def _email(raw, fields: dict) -> str:
    try:
        return people.normalize_email(raw if raw is not None else "")
    except ValidationFailed as err:
        fields["email"] = err.fields.get("email", err.message)
        return ""


def _password(data: dict, fields: dict) -> str:
    password = data.get("password")
    if not isinstance(password, str) or not password:
        fields["password"] = "Choose a password."
        return ""
    try:
        people.check_password_strength(password)
    except ValidationFailed as err:
        fields["password"] = err.fields.get("password", err.message)
        return ""
    if "confirm" in data and data.get("confirm") != password:
        fields["confirm"] = "The two passwords differ: type the same password twice."
    return password


def clean_invitation(data: dict) -> dict:
    """{email, organization_id, role}: whom to invite, into which organization, as what."""
    fields: dict[str, str] = {}
    email = _email(data.get("email"), fields)
    organization_id = parse_id(data.get("organization_id"))
    if organization_id is None:
        fields["organization_id"] = "Choose an organization."
    role = parse_choice(data.get("role"), "role", fields, ROLES, what="role")
    raise_if(fields, "The invitation could not be sent.")
    return {"email": email, "organization_id": organization_id, "role": role}


def clean_account(data: dict) -> dict:
    """{name, password}: what the invited person chooses (`confirm` must repeat the password)."""
    fields: dict[str, str] = {}
    name = clean_text(data.get("name"), "name", fields, limit=PERSON_NAME_MAX, required=True)
    password = _password(data, fields)
    raise_if(fields, "Your account could not be created.")
    return {"name": name, "password": password}


def clean_new_password(data: dict) -> str:
    """A new password (`confirm` must repeat it)."""
    fields: dict[str, str] = {}
    password = _password(data, fields)
    raise_if(fields, "The password was not changed.")
    return password
