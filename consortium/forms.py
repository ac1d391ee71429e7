"""Forms for signing in, API tokens and user administration."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        description="What the token is for, e.g. 'ERP integration'.",
        validators=[DataRequired(), Length(max=100)],
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])


class InviteUserForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("E-mail address", validators=[DataRequired(), Email(), Length(max=254)])
    organization_id = SelectField("Organization", coerce=int, validators=[DataRequired()])
    role = SelectField(
        "Role",
        choices=[("buyer", "Buyer"), ("approver", "Approver (champion)"), ("vendor", "Vendor staff"),
                 ("admin", "Consortium admin")],
        validators=[DataRequired()],
    )
    password = PasswordField(
        "Initial password",
        description="At least 12 characters. Share it with the person securely.",
        validators=[DataRequired(), Length(min=12, max=200)],
    )
