"""The wave an open link's slug names, with its study and version, read by one narrow SQL
statement written once per process (respondents/views.py's open link is its caller).

Why not the ORM: the consent page and its POST are a quarter of a respondent's server time
on a short form, and Django compiled the three-table `select_related` join of every column
afresh on each (the wave's cleaning settings, the study's analysis fields, the version's
settings). As in respondents/response_row.py, the statement text never changes, so psycopg
prepares it on the server, and only the columns the consent page and a start read are
selected; any other is a deferred field, read at one more query if some code needs it.
"""

from __future__ import annotations

from functools import cache

from respondents.models import Wave
from respondents.response_row import (
    STUDY_FIELDS,
    VERSION_FIELDS,
    Part,
    cache_related,
    read_instances,
    select_list,
)
from surveys.models import QuestionnaireVersion, Study

# A start reads the channels (?src=) and the fingerprint key (the start's fingerprint and
# rate-limit counters); the consent page reads the study's consent text.
WAVE_FIELDS = (
    "id",
    "study_id",
    "version_id",
    "name",
    "slug",
    "state",
    "opens_at",
    "closes_at",
    "channels",
    "fingerprint_key",
)
OPEN_LINK_STUDY_FIELDS = (*STUDY_FIELDS, "consent_text")


@cache
def _parts() -> tuple[Part, ...]:
    return (
        Part.of(Wave, "w", WAVE_FIELDS),
        Part.of(Study, "s", OPEN_LINK_STUDY_FIELDS),
        Part.of(QuestionnaireVersion, "v", VERSION_FIELDS),
    )


@cache
def _statement() -> str:
    columns, table = select_list(_parts())
    # Names from the models, the slug as a parameter.
    return (
        f"SELECT {columns} "  # noqa: S608
        f'FROM "{table["w"]}" w '
        f'JOIN "{table["s"]}" s ON s."id" = w."study_id" '
        f'JOIN "{table["v"]}" v ON v."id" = w."version_id" '
        'WHERE w."slug" = %s'
    )


def wave_by_slug(slug: str) -> Wave | None:
    """The wave with this slug, its study and version cached on it; None if there is none."""
    found = read_instances(_parts(), _statement(), [slug])
    if found is None:
        return None
    wave, study, version = found
    cache_related(Wave, wave, "study", study)
    cache_related(Wave, wave, "version", version)
    assert isinstance(wave, Wave)  # noqa: S101 (the first part is the wave)
    return wave
