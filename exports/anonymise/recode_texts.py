"""The labels and codebook notes that recoding writes, English and marked for translation.

Each is a Phrase or a template for one (exports/dataset.py): the catalogue gives it in the
export's language (locale/). Django-free.
"""

from __future__ import annotations

from exports.dataset import Phrase, gettext_noop

OTHER_LABEL = Phrase(gettext_noop("Other (merged: rare categories)"))
OTHER_PLACE_LABEL = Phrase(gettext_noop("Other place (merged: rarely named places)"))
CAPITALS_LABEL = Phrase(gettext_noop("A national capital (merged: rarely named capitals)"))
CAPITAL_LABEL = Phrase(gettext_noop("A national capital"))
ELSEWHERE_LABEL = Phrase(gettext_noop("Another place (not a national capital)"))
REGION_LABEL = gettext_noop("{region} (merged: rare countries)")
ALL_LABEL = Phrase(gettext_noop("Any answer (detail removed for k-anonymity)"))
OR_LESS = gettext_noop("{value} or less")
NOTE_LEVEL = gettext_noop(
    "recoded {level} step(s) beyond the default (of {levels} possible): the recoding that "
    "loses least among those that reach k"
)
NOTE_BANDS = gettext_noop(
    "coarsened to {width}-unit bands{top}; edge bands with fewer than {k} rows merged; the "
    "code is the band's lower bound"
)
NOTE_TOP = gettext_noop(", top-coded at {age}+")
NOTE_MERGED = gettext_noop("categories with fewer than {k} rows merged into code {code}: {merged}")
NOTE_NONE_MERGED = gettext_noop("no category had fewer than {k} rows")
NOTE_REGIONS = gettext_noop(
    "countries with fewer than {k} rows merged by UN M49 region (a sub-region with fewer "
    "rows or a single country into its continent, then into the 'other' code): {merged}"
)
NOTE_AS_REGION = gettext_noop(
    "every country coded as its UN M49 {level} (one with fewer than {k} rows as its "
    "continent, then 'other'): {merged}"
)
SUB_REGION_LEVEL = gettext_noop("sub-region")
REGION_LEVEL = gettext_noop("region (continent)")
NOTE_PLACES = gettext_noop(
    "free text coded as places named by at least {k} rows; {merged} answers naming rarer "
    "places merged into a national capital (code {capital}) or another place (code {other})"
)
NOTE_CAPITAL_OR_OTHER = gettext_noop(
    "free text coded only as a national capital (code 1) or another place (code 2): no "
    "finer level than the country is known for a named place"
)
NOTE_QUARTERS = gettext_noop("dates coarsened to year and quarter (code = year * 10 + quarter)")
NOTE_YEARS = gettext_noop("dates coarsened to the year")
NOTE_REMOVED = gettext_noop(
    "recoded to one code for every answer (only whether it was answered is released)"
)
