"""The demo study that `make demo` serves: a questionnaire, an open wave, an admin login."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from surveys.models import Study

DEMO_STUDY_SLUG = "demo"
DEMO_ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class DemoSite:
    study: Study
    admin_username: str
    admin_password: str


@transaction.atomic
def load_demo() -> DemoSite:
    """Create (or refresh) the demo study and an admin whose password is new each time."""
    study, _ = Study.objects.update_or_create(
        slug=DEMO_STUDY_SLUG,
        defaults={
            "title": "Panelwave demo: emigrants' panel",
            "languages": ["ru", "en"],
            "default_language": "ru",
            "consent_text": {
                "en": "This is a demonstration survey. Your answers are stored anonymously.",
                "ru": "Это демонстрационный опрос. Ваши ответы хранятся анонимно.",
            },
        },
    )
    password = secrets.token_urlsafe(12)
    user_model = get_user_model()
    admin, _ = user_model.objects.get_or_create(username=DEMO_ADMIN_USERNAME)
    admin.is_staff = True
    admin.is_superuser = True
    admin.set_password(password)
    admin.save()
    return DemoSite(study=study, admin_username=DEMO_ADMIN_USERNAME, admin_password=password)
