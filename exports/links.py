"""linked_by: how each response is tied to its person across waves, so analysts can check
that results hold without the links a model proposed (docs/panel-analysis.md)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from django.db.models import Q
from django.utils.translation import gettext_noop

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


def linked_by(responses: Sequence[SampledResponse]) -> pd.Series:
    """Response id -> code of how it is tied to its person; a response left out is
    NOT_LINKED. Read by wave, not by a list of the sample's ids: a sample is most of its
    waves, and a list of 100,000 ids costs the database more than the waves' rows. A
    Series, not a dict: at 10^6 responses a dict of them held about 150 MB."""
    wanted = np.fromiter((r.response_id for r in responses), dtype=np.int64, count=len(responses))
    waves = sorted({r.wave_id for r in responses})
    linked = ResponseLink.objects.filter(response__wave_id__in=waves, status=LinkStatus.LINKED)
    link_ids, link_codes = [], []
    for pk, how in linked.values_list("response_id", "how").iterator(chunk_size=5000):
        link_ids.append(pk)
        link_codes.append(HOW_CODES.get(how, REVIEWED))
    links = pd.Series(link_codes, index=pd.Index(link_ids, dtype=np.int64), dtype=np.int64)
    links = links[~links.index.duplicated(keep="last")]
    rows = Response.objects.filter(
        Q(invitation__isnull=False) | Q(member__panel_key_hash__gt=""), wave_id__in=waves
    ).values_list("pk", "invitation_id")
    keyed_ids, invited = [], []
    for pk, invitation_id in rows.iterator(chunk_size=5000):
        keyed_ids.append(pk)
        invited.append(bool(invitation_id))
    keyed = np.array(keyed_ids, dtype=np.int64)
    by_invitation = keyed[np.array(invited, dtype=bool)]
    # An invitation says more than a link; a panel key only where no link says more.
    by_key = keyed[~np.isin(keyed, by_invitation) & ~np.isin(keyed, links.index)]
    codes = pd.concat(
        [
            links.drop(by_invitation, errors="ignore"),
            pd.Series(INVITATION, index=by_invitation, dtype=np.int64),
            pd.Series(PANEL_KEY, index=by_key, dtype=np.int64),
        ]
    )
    sampled: pd.Series = codes[codes.index.isin(wanted)].sort_index()
    return sampled
