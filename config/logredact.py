"""A logging filter that keeps secrets and network addresses out of every log line.

Personal links carry invitation and resume tokens in their paths, and a web server's
request line would otherwise carry them into the log; IP addresses must never be written
anywhere (DESIGN.md, privacy model).
"""

from __future__ import annotations

import logging
import re

TOKEN_PATH = re.compile(r"/(i|r|w|withdraw|resume|download)/[A-Za-z0-9_\-:.]{8,}")
TOKEN_QUERY = re.compile(r"([?&](?:token|t|signature)=)[^&\s\"]+")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
IPV6 = re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b")


def redact(text: str) -> str:
    text = TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/[redacted]", text)
    text = TOKEN_QUERY.sub(r"\1[redacted]", text)
    text = IPV4.sub("[ip]", text)
    return IPV6.sub("[ip]", text)


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        # The development server attaches the socket to the record; drop it so no
        # formatter can print the peer address.
        if hasattr(record, "request") and not hasattr(record.request, "META"):
            record.request = None
        return True
