"""join_panel: an open-link respondent, on the end page, asks to be invited to later waves.

The person becomes a PanelMember recruited in this wave, their finished response is linked
to the member (so wave 2 answers join up with it), and the contact goes to the encrypted
Contact table through respondents.services.contacts, never into the response.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from respondents.models import PanelMember, Response, ResponseStatus
from respondents.services.contacts import store_contact

# 10 random bytes: 20 hex characters, far beyond any panel's size, short enough to read
# out on a support call.
PSEUDONYM_BYTES = 10

ERROR_NOT_COMPLETED = "Response {response} is not completed; only finished respondents can join."
ERROR_INVITED = "Response {response} came through an invitation; its member is already known."


def new_pseudonym() -> str:
    return secrets.token_hex(PSEUDONYM_BYTES)


@transaction.atomic
def join_panel(
    response_id: int, *, email: str = "", telegram: str = "", language: str = ""
) -> PanelMember:
    """Create the member for an open-link response (once: a repeated request returns the
    member already made) and store the contact details encrypted."""
    # The lock makes a double-clicked "join" create one member, not two.
    # of=self: locking the joined wave row too would hold up every respondent of the wave.
    response = (
        Response.objects.select_for_update(of=("self",)).select_related("wave").get(pk=response_id)
    )
    if response.status != ResponseStatus.COMPLETED:
        raise ValidationError(ERROR_NOT_COMPLETED.format(response=response.pk))
    if response.invitation_id is not None:
        raise ValidationError(ERROR_INVITED.format(response=response.pk))
    if response.member_id is not None:
        return PanelMember.objects.get(pk=response.member_id)
    member = PanelMember(
        study_id=response.wave.study_id,
        pseudonym=new_pseudonym(),
        recruited_in=response.wave,
        preferred_language=language or response.language,
    )
    member.full_clean(exclude=["panel_key_hash"])
    member.save()
    store_contact(member, email=email, telegram=telegram)
    response.member = member
    response.save(update_fields=["member", "updated_at"])
    return member
