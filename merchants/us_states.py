"""The US states, DC, territories and military mail regions a merchant may be based in, with
names the catalogue translates (密歇根州 for Michigan).

The codes and English names are localflavor's, whose ``USStateField`` stores them; the names are
repeated here so that they are this project's strings: our catalogue carries their Chinese
names, which then also translate the labels the field itself offers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

STATE_NAMES = {
    "AL": _("Alabama"),
    "AK": _("Alaska"),
    "AS": _("American Samoa"),
    "AZ": _("Arizona"),
    "AR": _("Arkansas"),
    "AA": _("Armed Forces Americas"),
    "AE": _("Armed Forces Europe"),
    "AP": _("Armed Forces Pacific"),
    "CA": _("California"),
    "CO": _("Colorado"),
    "CT": _("Connecticut"),
    "DE": _("Delaware"),
    "DC": _("District of Columbia"),
    "FL": _("Florida"),
    "GA": pgettext_lazy("US state", "Georgia"),
    "GU": _("Guam"),
    "HI": _("Hawaii"),
    "ID": _("Idaho"),
    "IL": _("Illinois"),
    "IN": _("Indiana"),
    "IA": _("Iowa"),
    "KS": _("Kansas"),
    "KY": _("Kentucky"),
    "LA": _("Louisiana"),
    "ME": _("Maine"),
    "MD": _("Maryland"),
    "MA": _("Massachusetts"),
    "MI": _("Michigan"),
    "MN": _("Minnesota"),
    "MS": _("Mississippi"),
    "MO": _("Missouri"),
    "MT": _("Montana"),
    "NE": _("Nebraska"),
    "NV": _("Nevada"),
    "NH": _("New Hampshire"),
    "NJ": _("New Jersey"),
    "NM": _("New Mexico"),
    "NY": _("New York"),
    "NC": _("North Carolina"),
    "ND": _("North Dakota"),
    "MP": _("Northern Mariana Islands"),
    "OH": _("Ohio"),
    "OK": _("Oklahoma"),
    "OR": _("Oregon"),
    "PA": _("Pennsylvania"),
    "PR": _("Puerto Rico"),
    "RI": _("Rhode Island"),
    "SC": _("South Carolina"),
    "SD": _("South Dakota"),
    "TN": _("Tennessee"),
    "TX": _("Texas"),
    "UT": _("Utah"),
    "VT": _("Vermont"),
    "VI": _("Virgin Islands"),
    "VA": _("Virginia"),
    "WA": _("Washington"),
    "WV": _("West Virginia"),
    "WI": _("Wisconsin"),
    "WY": _("Wyoming"),
}

# In the order of the English names, in every language, as the stored field lists them.
STATE_CHOICES = list(STATE_NAMES.items())


def state_name(code: str) -> str:
    """The state's name in the reader's language; an unknown code as it is."""
    name = STATE_NAMES.get(code)
    return str(name) if name is not None else code
