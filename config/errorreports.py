"""What Django's debug page and error reports may show of the settings and the request.

Django hides settings whose names mention keys, secrets, tokens and passwords; a connection
URL (`DATABASE_URL`, `REDIS_URL`, `EMAIL_URL`, the cache's LOCATION, Celery's broker) carries
its password inside a value whose name says none of that, and under `runserver` the whole
process environment appears in the request's META. Any value holding a URL with a user or
password part is hidden here, wherever it sits, and so is every setting or environment
variable naming a connection, whatever its value.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

# scheme://anything-but-a-path@ : a URL carrying a user, a password or both.
URL_WITH_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.\-]*://[^\s]*@", re.IGNORECASE)


class CredentialSafeReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE"
        "|DATABASE_URL|REDIS_URL|EMAIL_URL|BROKER|RESULT_BACKEND|LOCATION|DSN",
        flags=re.IGNORECASE,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        # type() rather than isinstance(): lazy objects pass isinstance(str) without being one.
        if type(value) is str and URL_WITH_CREDENTIALS.search(value):
            return self.cleansed_substitute
        return super().cleanse_setting(key, value)
