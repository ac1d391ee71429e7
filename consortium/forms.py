"""Forms for signing in, API tokens and user administration (inviting people: `consortium.accounts.forms`).
Their limits come from the models."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from consortium.models import EMAIL_MAX, PASSWORD_MAX, TOKEN_NAME_MAX
from marketplace.inputs import REASON_LIMIT, parse_id, text_problem


def plain_text(form, field) -> None:
    """A WTForms validator: control characters and lone surrogates are refused with the field's message
    (the same rule and words as `marketplace.inputs.clean_text`), never passed on to the database."""
    problem = text_problem(field.data) if isinstance(field.data, str) else None
    if problem:
        raise ValidationError(problem)


def form_id(value) -> int | None:
    """`coerce` for a select of rows: ASCII digits only ("１" is not 1), else WTForms' "Not a valid choice"."""
    if value is None or value == "":
        return None
    number = parse_id(value)
    if number is None:
        raise ValueError("not an id")
    return number


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=EMAIL_MAX), plain_text])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        description="What the token is for, e.g. 'ERP integration'.",
        validators=[DataRequired(), Length(max=TOKEN_NAME_MAX), plain_text],
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=REASON_LIMIT), plain_text])
