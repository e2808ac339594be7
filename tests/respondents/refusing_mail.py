"""An e-mail backend that refuses every recipient the way an SMTP relay does, naming the
address in the exception (smtplib.SMTPRecipientsRefused), for the log-privacy tests."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend

ATTEMPTS: list[int] = []


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        ATTEMPTS.append(len(email_messages))
        recipients = [address for message in email_messages for address in message.to]
        raise smtplib.SMTPRecipientsRefused(
            {address: (550, f"5.1.1 <{address}>: user unknown".encode()) for address in recipients}
        )
