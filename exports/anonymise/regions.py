"""Where a country lies, for merging rare countries by region instead of into one "other".

The table follows the United Nations M49 standard (the UN Statistics Division's "Standard
country or area codes for statistical use"): each country or area, by its ISO 3166-1
alpha-2 code, belongs to one M49 sub-region, and each sub-region to one region (continent).
Sub-Saharan Africa and Latin America and the Caribbean are M49 sub-regions; their
intermediate regions are not used (too few emigrants in each to help k). Two codes that
M49 does not list are placed where the countries around them are: Taiwan (TW) in Eastern
Asia, Kosovo (XK) in Southern Europe. docs/methods.md 5.6 describes how the table is used.

Django-free; names are English and marked for translation (locale/).
"""

from __future__ import annotations

from dataclasses import dataclass

from exports.dataset import gettext_noop

# M49 region code -> name.
REGIONS = {
    "002": gettext_noop("Africa"),
    "019": gettext_noop("Americas"),
    "142": gettext_noop("Asia"),
    "150": gettext_noop("Europe"),
    "009": gettext_noop("Oceania"),
}
# M49 sub-region code -> (region code, name, ISO 3166-1 alpha-2 codes of its countries).
SUB_REGIONS: dict[str, tuple[str, str, str]] = {
    "015": ("002", gettext_noop("Northern Africa"), "DZ EG EH LY MA SD TN"),
    "202": (
        "002",
        gettext_noop("Sub-Saharan Africa"),
        "AO BF BI BJ BW CD CF CG CI CM CV DJ ER ET GA GH GM GN GQ GW IO KE KM LR LS MG ML MR "
        "MU MW MZ NA NE NG RE RW SC SH SL SN SO SS ST SZ TD TF TG TZ UG YT ZA ZM ZW",
    ),
    "419": (
        "019",
        gettext_noop("Latin America and the Caribbean"),
        "AG AI AR AW BB BL BO BQ BR BS BV BZ CL CO CR CU CW DM DO EC FK GD GF GP GS GT GY HN "
        "HT JM KN KY LC MF MQ MS MX NI PA PE PR PY SR SV SX TC TT UY VC VE VG VI",
    ),
    "021": ("019", gettext_noop("Northern America"), "BM CA GL PM US"),
    "143": ("142", gettext_noop("Central Asia"), "KG KZ TJ TM UZ"),
    "030": ("142", gettext_noop("Eastern Asia"), "CN HK JP KP KR MN MO TW"),
    "035": ("142", gettext_noop("South-eastern Asia"), "BN ID KH LA MM MY PH SG TH TL VN"),
    "034": ("142", gettext_noop("Southern Asia"), "AF BD BT IN IR LK MV NP PK"),
    "145": (
        "142",
        gettext_noop("Western Asia"),
        "AE AM AZ BH CY GE IL IQ JO KW LB OM PS QA SA SY TR YE",
    ),
    "151": ("150", gettext_noop("Eastern Europe"), "BG BY CZ HU MD PL RO RU SK UA"),
    "154": (
        "150",
        gettext_noop("Northern Europe"),
        "AX DK EE FI FO GB GG IE IM IS JE LT LV NO SE SJ",
    ),
    "039": (
        "150",
        gettext_noop("Southern Europe"),
        "AD AL BA ES GI GR HR IT ME MK MT PT RS SI SM VA XK",
    ),
    "155": ("150", gettext_noop("Western Europe"), "AT BE CH DE FR LI LU MC NL"),
    "053": ("009", gettext_noop("Australia and New Zealand"), "AU CC CX HM NF NZ"),
    "054": ("009", gettext_noop("Melanesia"), "FJ NC PG SB VU"),
    "057": ("009", gettext_noop("Micronesia"), "FM GU KI MH MP NR PW UM"),
    "061": ("009", gettext_noop("Polynesia"), "AS CK NU PF PN TK TO TV WF WS"),
}


MIN_COUNTRIES = 3


@dataclass(frozen=True)
class Place:
    sub_region: str  # its English name
    region: str


def _table() -> dict[str, Place]:
    table: dict[str, Place] = {}
    for region_code, name, countries in SUB_REGIONS.values():
        for iso in countries.split():
            table[iso] = Place(name, REGIONS[region_code])
    return table


COUNTRIES = _table()


def place_of(choice_name: str) -> Place | None:
    """The M49 sub-region and region of an ISO 3166-1 alpha-2 code, any case ("ge")."""
    return COUNTRIES.get(choice_name.strip().upper())


def is_country_list(choice_names: dict[int, str] | None) -> bool:
    """Whether an item's choices are countries: every choice name but at most one (an
    "other" choice) is an ISO code in the table, and at least three are (two letters
    name countries by chance: "tv" and "tg" are Tuvalu and Togo)."""
    if not choice_names:
        return False
    known = sum(1 for name in choice_names.values() if place_of(name) is not None)
    return known >= MIN_COUNTRIES and known >= len(choice_names) - 1
