"""Sending the one-time link of "I took part before": the runner behind the Celery task.

The respondent's request only queues `respondents.send_verification` with two ids (the new
response, the earlier member), so no address ever sits in the broker, a task's arguments or
the request. The worker decrypts the address stored for the member (services/contacts.py),
renders the message with a freshly signed link and sends it; the address lives only in that
message while it is sent. A failure worth retrying raises VerificationDeliveryError, whose
text names the member's pseudonym and the kind of failure, never the address.

The signed token itself (its salt and lifetime) lives here too, because the service that
checks it (services/linkage_verification.py) queues this task, and the task must not import
that service back.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from config.links import site_link
from respondents.delivery import message_language
from respondents.models import MemberStatus, PanelMember, Response
from respondents.services.contacts import reveal_contact
from surveys.services.studies import study_title

logger = logging.getLogger(__name__)

SALT = "panelwave.respondents.verified-link"
MAX_AGE = timedelta(hours=48)
VERIFY_PATH = "/v/{token}/"

ERROR_DELIVERY = "Verified link for member {member}: the message was not delivered ({reason})."


class VerificationDeliveryError(OSError):
    """Worth retrying. smtplib's exceptions carry the recipient's address, so the original
    is dropped and only its kind kept: the retry line and traceback reach the worker log."""

    def __init__(self, pseudonym: str, error: OSError) -> None:
        code = getattr(error, "smtp_code", None)
        reason = type(error).__name__ + (f" {code}" if isinstance(code, int) else "")
        super().__init__(ERROR_DELIVERY.format(member=pseudonym, reason=reason))


def make_token(response: Response, member: PanelMember) -> str:
    return signing.dumps({"r": response.pk, "m": member.pk}, salt=SALT)


def verify_link(token: str) -> str:
    return site_link(VERIFY_PATH.format(token=token))


def send_verification(response_id: int, member_id: int) -> bool:
    """Mail the link to the address stored for the member; False when there is nothing to
    send any more (the member withdrew or lost their address, the response went)."""
    response = Response.objects.select_related("wave__study").filter(pk=response_id).first()
    member = (
        PanelMember.objects.select_related("study")
        .filter(pk=member_id, status=MemberStatus.ACTIVE)
        .first()
    )
    if response is None or member is None:
        return False
    address = reveal_contact(member).email
    if not address:
        return False
    language = message_language(member)
    context = {
        "study": study_title(response.wave.study, language),
        "wave": response.wave.name,
        "verify_link": verify_link(make_token(response, member)),
        "hours": int(MAX_AGE.total_seconds() // 3600),
    }
    subject = render_to_string(f"respondents/email/verify_subject_{language}.txt", context)
    body = render_to_string(f"respondents/email/verify_{language}.txt", context)
    message = EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    )
    try:
        message.send()
    except OSError as error:
        raise VerificationDeliveryError(member.pseudonym, error) from None
    return True
