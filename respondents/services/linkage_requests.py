"""request_linkage: the workspace's way to ask for a linkage run of a wave.

Its own module because it queues the link_returners task, and respondents.tasks imports
services.linkage to run it: keeping the two apart leaves no import cycle.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from config.queueing import enqueue_on_commit
from respondents.models import Wave
from respondents.services.linkage import ERROR_NO_EARLIER, earlier_waves
from respondents.tasks import link_returners_task


def request_linkage(wave: Wave) -> None:
    """Queue a linkage run, to start once the caller's transaction commits; a first wave,
    with nobody earlier to link to, is refused here."""
    if not earlier_waves(wave):
        raise ValidationError(ERROR_NO_EARLIER.format(wave=wave.pk))
    enqueue_on_commit(link_returners_task, wave.pk)
