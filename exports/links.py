"""linked_by: how each response is tied to its person across waves, so analysts can check
that results hold without the links a model proposed (docs/panel-analysis.md)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F

from config.anyof import AnyOf
from exports.dataset import Variable
from exports.sampling import SampledResponse
from respondents.models import LinkHow, LinkStatus, Response, ResponseLink

NAME = "linked_by"
NOT_LINKED, INVITATION, PANEL_KEY, VERIFIED, REVIEWED, ACCEPTED = range(6)
HOW_CODES: dict[str, int] = {
    LinkHow.VERIFIED: VERIFIED,
    LinkHow.REVIEWED: REVIEWED,
    LinkHow.ACCEPTED: ACCEPTED,
}
LABELS = {
    NOT_LINKED: "Not linked: an open-link response of its own",
    INVITATION: "Personal invitation link",
    PANEL_KEY: "Panel key of imported responses",
    VERIFIED: "Verified: followed a link sent to the earlier contact",
    REVIEWED: "Reviewed: a team member accepted the match",
    ACCEPTED: "Accepted automatically above the threshold",
}


def linked_by_variable() -> Variable:
    return Variable(
        NAME,
        "How this response is linked to the person's other waves",
        "numeric",
        value_labels=LABELS,
        notes=("reviewed and accepted links come from a probabilistic match on stable items",),
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
