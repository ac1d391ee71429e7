"""The limits of people, organizations and tokens are declared once, next to the models: the columns,
the forms and the services agree on them."""

import pytest
from wtforms.validators import Length

from consortium import forms
from consortium.accounts import forms as account_forms
from consortium.models import (
    EMAIL_MAX,
    ORGANIZATION_NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    PERSON_NAME_MAX,
    TOKEN_NAME_MAX,
    ApiToken,
    Organization,
    User,
)
from marketplace.errors import ValidationFailed
from marketplace.inputs import REASON_LIMIT


def _length(form_class, field: str) -> Length:
    unbound = getattr(form_class, field)
    return next(v for v in unbound.kwargs["validators"] if isinstance(v, Length))


def test_columns_use_the_declared_limits():
    assert User.__table__.c.email.type.length == EMAIL_MAX
    assert User.__table__.c.name.type.length == PERSON_NAME_MAX
    assert Organization.__table__.c.name.type.length == ORGANIZATION_NAME_MAX
    assert ApiToken.__table__.c.name.type.length == TOKEN_NAME_MAX


@pytest.mark.parametrize(("form_class", "field", "low", "high"), [
    (forms.LoginForm, "email", -1, EMAIL_MAX),
    (forms.LoginForm, "password", -1, PASSWORD_MAX),
    (forms.TokenForm, "name", -1, TOKEN_NAME_MAX),
    (forms.ReasonForm, "reason", -1, REASON_LIMIT),
    (account_forms.InviteForm, "email", -1, EMAIL_MAX),
    (account_forms.AcceptInvitationForm, "name", -1, PERSON_NAME_MAX),
    (account_forms.AcceptInvitationForm, "password", PASSWORD_MIN, PASSWORD_MAX),
    (account_forms.ForgotPasswordForm, "email", -1, EMAIL_MAX),
    (account_forms.ResetPasswordForm, "password", PASSWORD_MIN, PASSWORD_MAX),
])
def test_forms_use_the_declared_limits(form_class, field, low, high):
    length = _length(form_class, field)
    assert (length.min, length.max) == (low, high)


def test_services_refuse_one_character_more_than_the_limit(ctx):
    from consortium import services
    from tests.conftest import org, user

    mesa = org("Mesa")
    with pytest.raises(ValidationFailed) as err:
        services.create_user(email="long@mesa.example", name="x" * (PERSON_NAME_MAX + 1),
                             password="long-enough-pass", organization=mesa, role="buyer")
    assert "at most 200" in err.value.fields["name"]
    with pytest.raises(ValidationFailed) as err:
        services.issue_token(user("buyer@mesa.example"), "t" * (TOKEN_NAME_MAX + 1))
    assert "at most 100" in err.value.fields["name"]
    with pytest.raises(ValidationFailed):
        services.check_password_strength("p" * (PASSWORD_MAX + 1))
    with pytest.raises(ValidationFailed):
        services.normalize_email("a" * EMAIL_MAX + "@mesa.example")
    token, _ = services.issue_token(user("buyer@mesa.example"), "t" * TOKEN_NAME_MAX)
    assert len(token.name) == TOKEN_NAME_MAX
