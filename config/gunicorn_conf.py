"""Gunicorn settings for `make serve`.

No access log: its lines would carry the peer address and personal-link tokens in paths,
and no raw IP or token may reach a log (docs/design.md, privacy model). Errors still go to the
error log, through Django's redacting filter.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 60
accesslog = None
errorlog = "-"
