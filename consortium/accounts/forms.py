"""Forms for inviting people, accepting an invitation, and resetting a forgotten password. Their limits
come from the models; the rules themselves are checked again by `validation` and the services."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from consortium.forms import form_id, plain_text
from consortium.models import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, PERSON_NAME_MAX


def _strip(value):
    """Spaces around a pasted address are not part of it."""
    return value.strip() if isinstance(value, str) else value


PASSWORD_HINT = f"At least {PASSWORD_MIN} characters. A few unrelated words make a good one."
PASSWORD_LENGTH = f"Use at least {PASSWORD_MIN} and at most {PASSWORD_MAX} characters."


class InviteForm(FlaskForm):
    email = EmailField("E-mail address", description="We e-mail an invitation link that works once, for 7 days.",
                       filters=[_strip], validators=[DataRequired(), Email(), Length(max=EMAIL_MAX), plain_text])
    # The services say which organization or role is not the inviter's to give (an approver: their own
    # city, buyers and approvers), so the choices are not checked here with a bare "Not a valid choice".
    organization_id = SelectField("Organization", coerce=form_id, validate_choice=False,
                                  validators=[DataRequired()])
    role = SelectField("Role", validate_choice=False, validators=[DataRequired()])


def _password(label: str) -> PasswordField:
    return PasswordField(label, description=PASSWORD_HINT, validators=[
        DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=PASSWORD_LENGTH), plain_text])


def _confirm() -> PasswordField:
    return PasswordField("Type the password again", validators=[DataRequired(), Length(max=PASSWORD_MAX)])


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your full name", validators=[
        DataRequired(), Length(max=PERSON_NAME_MAX, message=f"Use at most {PERSON_NAME_MAX} characters."), plain_text])
    password = _password("Choose a password")
    confirm = _confirm()


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail address", filters=[_strip],
                       validators=[DataRequired(), Email(), Length(max=EMAIL_MAX), plain_text])


class ResetPasswordForm(FlaskForm):
    password = _password("New password")
    confirm = _confirm()
