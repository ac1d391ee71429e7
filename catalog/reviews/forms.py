"""Review forms. They only parse; `catalog.reviews.validation` owns the rules and the messages."""

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField

from catalog.listings.forms import at_most
from catalog.reviews.models import RATING_MAX, RATING_MIN, RATINGS, RESPONSE_MAX, TEXT_MAX

STARS = [("", "- Select -")] + [(str(n), f"{n} star{'s' if n > 1 else ''}")
                                for n in range(RATING_MAX, RATING_MIN - 1, -1)]


def _select(label: str, choices, **kwargs) -> SelectField:
    # The validation checks the choice, with a clearer message than WTForms' "Not a valid choice".
    return SelectField(label, choices=choices, validate_choice=False, **kwargs)


class ReviewForm(FlaskForm):
    order_id = _select("Order", [], description="The order your city bought this listing through.")
    overall = _select(RATINGS["overall"], STARS)
    service = _select(RATINGS["service"], STARS)
    value = _select(RATINGS["value"], STARS)
    quality = _select(RATINGS["quality"], STARS)
    timeliness = _select(RATINGS["timeliness"], STARS)
    text = TextAreaField("Your review", validators=[at_most(TEXT_MAX)],
                         description="What went well and what did not, for other cities choosing a vendor.")

    def to_data(self) -> dict:
        return {name: self[name].data for name in ("order_id", *RATINGS, "text")}

    def attach_errors(self, fields: dict[str, str]) -> None:
        for name, message in fields.items():
            if name in self:
                self[name].errors = [message]


class ResponseForm(FlaskForm):
    text = TextAreaField("Your answer", validators=[at_most(RESPONSE_MAX)],
                         description="Shown under the review to everyone in the consortium. You can answer once.")
