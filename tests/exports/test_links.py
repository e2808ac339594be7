"""linked_by: each sampled response's code of how it is tied to its person."""

from __future__ import annotations

import secrets

import pytest

from exports.links import INVITATION, NOT_LINKED, PANEL_KEY, REVIEWED, VERIFIED, linked_by
from exports.sampling import select_sample
from respondents.models import Invitation, LinkHow, LinkStatus, ResponseLink
from tests.exports.fixtures import _member_response, build_three_wave_panel

pytestmark = pytest.mark.django_db


def test_each_response_is_coded_by_its_invitation_then_its_link_then_its_panel_key():
    # given a panel of panel-key members and open-link responses, where one member's
    # wave 2 response came by invitation, one open-link response of wave 2 was linked by
    # review, and one of wave 3 by verification (wave 3 is left out of the export)
    panel = build_three_wave_panel()
    invited = _member_response(panel, "A", 0, 2)
    assert invited.member is not None
    invited.invitation = Invitation.objects.create(
        member=invited.member, wave=invited.wave, token_hash=secrets.token_hex(32)
    )
    invited.save()
    w2_open, w3_open = (
        next(r for r in panel.responses if r.member_id is None and r.wave_id == panel.wave_ids[n])
        for n in (1, 2)
    )
    earlier = _member_response(panel, "A", 1, 1)
    for later, how in ((w2_open, LinkHow.REVIEWED), (w3_open, LinkHow.VERIFIED)):
        ResponseLink.objects.create(
            response=later, earlier_response=earlier, status=LinkStatus.LINKED, how=how
        )
    sample = select_sample(
        panel.study.pk, panel.wave_ids[:2], sample="combined", include_flagged=True
    )

    codes = linked_by(sample.responses)

    # then every sampled response has its code, and none outside the sample is listed
    assert set(codes.index) <= {r.response_id for r in sample.responses}
    assert codes.index.is_unique
    got = {r.response_id: codes.get(r.response_id, NOT_LINKED) for r in sample.responses}
    assert got[invited.pk] == INVITATION
    assert got[w2_open.pk] == REVIEWED
    assert w3_open.pk not in codes.index
    for response in sample.responses:
        if response.response_id in (invited.pk, w2_open.pk):
            continue
        expected = PANEL_KEY if response.person.startswith("member:") else NOT_LINKED
        assert got[response.response_id] == expected
    assert sorted(set(got.values())) == [NOT_LINKED, INVITATION, PANEL_KEY, REVIEWED]
    assert VERIFIED not in codes.to_numpy()
