"""erase_member: a person's right to erasure (GDPR Art. 17; docs/methods.md section 6).

Two depths, as the person asks:
- contact only (default): the contact row and the panel-key hash go, so nothing links the
  member to a real person any more; the member is withdrawn (never invited again) and their
  answers stay, linked only to the random pseudonym, so earlier waves remain analysable;
- with responses: their responses (and the quality flags and overrides on them) are
  deleted too, and then the member row itself with its invitations: nothing of them remains.

The log line names only the pseudonym, never an address, handle or panel key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from respondents.models import MemberStatus, PanelMember, Response
from respondents.services.contacts import erase_contact
from respondents.services.invitations import revoke_pending_invitations

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erasure:
    pseudonym: str
    contact_erased: bool
    responses_deleted: int
    member_deleted: bool


@transaction.atomic
def erase_member(member: PanelMember, *, with_responses: bool = False) -> Erasure:
    """Erase the member's contact details, and with `with_responses` everything else."""
    locked = PanelMember.objects.select_for_update().get(pk=member.pk)
    pseudonym = locked.pseudonym
    contact_erased = erase_contact(locked)
    if with_responses:
        responses = Response.objects.filter(Q(member=locked) | Q(invitation__member=locked))
        # Flags and overrides cascade with their responses.
        _total, per_model = responses.delete()
        responses_deleted = per_model.get(Response._meta.label, 0)
        locked.delete()
        logger.info("erased panel member %s with %d responses", pseudonym, responses_deleted)
        return Erasure(pseudonym, contact_erased, responses_deleted, member_deleted=True)
    revoke_pending_invitations(locked)
    # A possible-duplicate link says "these two gave the same e-mail or handle": with one
    # side's contact erased, the other side's contact would still name the erased person.
    PanelMember.objects.filter(possible_duplicate_of=locked).update(possible_duplicate_of=None)
    fields = ["panel_key_hash", "possible_duplicate_of"]
    locked.panel_key_hash = None
    locked.possible_duplicate_of = None
    if locked.status != MemberStatus.WITHDRAWN:
        locked.status = MemberStatus.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        fields += ["status", "withdrawn_at"]
    locked.save(update_fields=fields)
    logger.info("erased contact details of panel member %s", pseudonym)
    return Erasure(pseudonym, contact_erased, responses_deleted=0, member_deleted=False)
