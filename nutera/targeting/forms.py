"""The staff decision on one targeting case."""

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from nutera.models import TARGETING_DECISIONS, TargetingDecision
from nutera.programs.forms import choices


class DecisionForm(FlaskForm):
    """Propose adding, removing or keeping, and say why."""

    decision = SelectField(
        "Keputusan",
        choices=choices(
            (k, v) for k, v in TARGETING_DECISIONS.items() if k != TargetingDecision.TERBUKA
        ),
    )
    reason = TextAreaField(
        "Alasan", validators=[DataRequired("Tuliskan alasan keputusan."), Length(max=2000)]
    )
    submit = SubmitField("Simpan keputusan")
