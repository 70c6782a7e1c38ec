from datetime import datetime

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError

from booking.inventory import hall_has_sales
from catalog.layout import LayoutError, parse_layout
from catalog.services import layout_error_message


class LayoutField(forms.CharField):
    """The layout as text, one 'LABEL: cells' row per line; cleaned to a list of rows."""

    widget = forms.Textarea(attrs={"rows": 14, "cols": 60, "class": "vLargeTextField layout-input",
                                   "style": "font-family: monospace", "spellcheck": "false"})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        return [line.rstrip() for line in text.splitlines() if line.strip()]

    def validate(self, value: list[str]) -> None:
        super().validate("\n".join(value))
        try:
            parse_layout(value)
        except LayoutError as exc:
            raise ValidationError(layout_error_message(exc)) from None


class HallForm(forms.ModelForm):
    layout = LayoutField(
        help_text="One row per line, 'LABEL: cells'. s standard, p premium, a accessible, "
        "x blocked seat, _ gap. Example: A: ss_ssss_ss"
    )

    def clean(self):
        cleaned = super().clean()
        layout = cleaned.get("layout")
        hall = self.instance
        changed = layout is not None and hall.pk is not None and layout != hall.layout
        if changed and hall_has_sales(hall):
            self.add_error("layout", "This hall's layout cannot change: a show in it has "
                           "seats held or booked.")
        return cleaned


class CinemaClockField(forms.SplitDateTimeField):
    """A date and a time as typed, without a zone: the form reads them on its cinema's clock
    (``staff.timezones.on_clock``), not the admin's."""

    widget = AdminSplitDateTime

    def compress(self, data_list) -> datetime | None:
        if not data_list:
            return None
        if data_list[0] in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if data_list[1] in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.combine(*data_list)
