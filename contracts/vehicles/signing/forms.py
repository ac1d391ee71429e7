"""Signing forms. They only parse (and refuse text over the limits declared next to the model);
`contracts.vehicles.signing.validation` owns the rules and messages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from contracts.vehicles.signing.models import AUTHORITY_MAX, NAME_MAX, TITLE_MAX
from marketplace.inputs import REASON_LIMIT


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit} characters.")


class SignatureForm(FlaskForm):
    name = StringField("Your name, as signed", validators=[_at_most(NAME_MAX)])
    title = StringField("Your title", validators=[_at_most(TITLE_MAX)], description="For example: City Manager.")
    authority = TextAreaField(
        "Authority to sign", validators=[_at_most(AUTHORITY_MAX)],
        description="What empowers you to sign, for example “Resolution 2026-14, delegated authority up to "
                    "$250,000”.")

    def to_data(self) -> dict:
        return {"name": self.name.data or "", "title": self.title.data or "", "authority": self.authority.data or ""}

    def attach_errors(self, fields: dict[str, str]) -> None:
        for name, message in fields.items():
            if name in self._fields:
                self._fields[name].errors = list(self._fields[name].errors) + [message]
            else:
                self.form_errors.append(message)


class CountersignForm(SignatureForm):
    reason = TextAreaField("Note to the member (optional)", validators=[Optional(), _at_most(REASON_LIMIT)],
                           description="Recorded with the execution.")

    def to_data(self) -> dict:
        return {**super().to_data(), "reason": self.reason.data or ""}


class DigestForm(FlaskForm):
    """The verification page: a GET form (nothing changes), so no CSRF token."""

    class Meta:
        csrf = False

    digest = StringField("SHA-256 digest printed on the addendum",
                         description="64 characters 0-9 and a-f, at the end of the PDF's signature page.")


class AddendumFileForm(FlaskForm):
    """The verification page's other way: upload the PDF itself (its digest is read from its text)."""

    file = FileField("The addendum PDF you have",
                     description="The PDF downloaded from the marketplace; nothing is stored.")
