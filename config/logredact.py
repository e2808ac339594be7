"""A logging filter that keeps secrets and network addresses out of every log line.

Personal links carry invitation and resume tokens in their paths, and a web server's
request line would otherwise carry them into the log; IP addresses must never be written
anywhere (docs/design.md, privacy model); contact details (e-mail addresses, Telegram handles)
can reach a log through an exception text, for instance SMTPRecipientsRefused, which
names the refused address. The filter cleans the message and the formatted traceback.
"""

from __future__ import annotations

import logging
import re

TOKEN_PATH = re.compile(r"/(i|r|w|withdraw|resume|download)/[A-Za-z0-9_\-:.]{8,}")
TOKEN_QUERY = re.compile(r"([?&](?:token|t|signature)=)[^&\s\"]+")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
IPV6 = re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b")
# The compressed form ("2001:db8::1", "::1", "fe80::1"), the one addresses are usually
# printed in: groups of hex digits on either side of one "::", one side possibly empty.
IPV6_COMPRESSED = re.compile(
    r"(?<![\w:])(?=[0-9a-fA-F:]*[0-9a-fA-F])(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?::"
    r"(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?(?![\w:])"
)
# Deliberately wider than a valid address: anything shaped like one goes.
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# t.me/<handle> links, and @handle where the "@" does not follow a word character (so the
# user@host part of a URL is not mistaken for a handle); 5-32 characters as Telegram's.
TELEGRAM_LINK = re.compile(r"\b(?:t|telegram)\.me/[A-Za-z0-9_]{5,32}\b", re.IGNORECASE)
TELEGRAM_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z][A-Za-z0-9_]{4,31}\b")


def redact(text: str) -> str:
    text = TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/[redacted]", text)
    text = TOKEN_QUERY.sub(r"\1[redacted]", text)
    # Before the IP patterns: an address like anna@192.0.2.1 is an e-mail first.
    text = EMAIL.sub("[email]", text)
    text = TELEGRAM_LINK.sub("t.me/[telegram]", text)
    text = TELEGRAM_HANDLE.sub("@[telegram]", text)
    text = IPV4.sub("[ip]", text)
    text = IPV6_COMPRESSED.sub("[ip]", text)
    return IPV6.sub("[ip]", text)


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        # A traceback is formatted after the filters run; formatting it here and caching
        # the clean text in exc_text (which Formatter.format prints instead) keeps an
        # exception's own words (an address, a link) out of the line.
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        # The development server attaches the socket to the record; drop it so no
        # formatter can print the peer address.
        if hasattr(record, "request") and not hasattr(record.request, "META"):
            record.request = None
        return True
