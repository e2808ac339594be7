"""The Celery app. Configuration comes from Django settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("panelwave")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The worker would otherwise replace the root logger's handlers with its own, dropping the
# RedactFilter of settings.LOGGING (config/logredact.py): task logs, retries and
# tracebacks could then print tokens, contact details or addresses. With this off, the
# worker's loggers propagate to the root handler that Django configured, filter included.
app.conf.worker_hijack_root_logger = False
app.autodiscover_tasks()
