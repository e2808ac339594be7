"""linked_by: how each response is tied to its person across waves, so analysts can check
that results hold without the links a model proposed (docs/panel-analysis.md)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F
from django.utils.translation import gettext_noop

from config.anyof import AnyOf
from exports.dataset import Variable
from exports.sampling import SampledResponse
from exports.texts import translate_to
from respondents.models import LinkHow, LinkStatus, Response, ResponseLink

NAME = "linked_by"
NOT_LINKED, INVITATION, PANEL_KEY, VERIFIED, REVIEWED, ACCEPTED = range(6)
HOW_CODES: dict[str, int] = {
    LinkHow.VERIFIED: VERIFIED,
    LinkHow.REVIEWED: REVIEWED,
    LinkHow.ACCEPTED: ACCEPTED,
}
LABELS = {
    NOT_LINKED: gettext_noop("Not linked: an open-link response of its own"),
    INVITATION: gettext_noop("Personal invitation link"),
    PANEL_KEY: gettext_noop("Panel key of imported responses"),
    VERIFIED: gettext_noop("Verified: followed a link sent to the earlier contact"),
    REVIEWED: gettext_noop("Reviewed: a team member accepted the match"),
    ACCEPTED: gettext_noop("Accepted automatically above the threshold"),
}
LABEL = gettext_noop("How this response is linked to the person's other waves")
NOTE = gettext_noop("reviewed and accepted links come from a probabilistic match on stable items")


def linked_by_variable(language: str = "en") -> Variable:
    return Variable(
        NAME,
        translate_to(language, LABEL),
        "numeric",
        value_labels={code: translate_to(language, label) for code, label in LABELS.items()},
        notes=(translate_to(language, NOTE),),
    )


def linked_by(responses: Sequence[SampledResponse]) -> dict[int, int]:
    """Response id -> code of how it is tied to its person."""
    ids = [r.response_id for r in responses]
    linked = ResponseLink.objects.filter(AnyOf(F("response_id"), ids), status=LinkStatus.LINKED)
    links: dict[int, str] = dict(linked.values_list("response_id", "how"))
    codes: dict[int, int] = {}
    rows = Response.objects.filter(AnyOf(F("pk"), ids)).values_list(
        "pk", "invitation_id", "member__panel_key_hash"
    )
    for pk, invitation_id, panel_key in rows.iterator(chunk_size=5000):
        if invitation_id:
            codes[pk] = INVITATION
        elif pk in links:
            codes[pk] = HOW_CODES.get(links[pk], REVIEWED)
        elif panel_key:
            codes[pk] = PANEL_KEY
        else:
            codes[pk] = NOT_LINKED
    return codes
