"""Retention of what respondents leave behind (docs/operations.md, retention): contact
details are deleted a study's contact period after the study ends, or after the member
leaves the panel; unfinished responses (in progress or abandoned) a study's unfinished
period after their last saved page. Answers of finished responses are kept: they are the
study's data, linked only to a random pseudonym.

`now` is a parameter so a sweep, a preview and a test agree on the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from respondents.models import Contact, MemberStatus, Response, ResponseStatus
from surveys.models import Study

UNFINISHED = (ResponseStatus.IN_PROGRESS, ResponseStatus.ABANDONED)


@dataclass(frozen=True)
class RetentionPolicy:
    contact_days: int
    unfinished_days: int
    export_days: int


def retention_policy(study: Study) -> RetentionPolicy:
    """The study's periods, each falling back to the site default when it sets none."""
    return RetentionPolicy(
        contact_days=_days(study.contact_retention_days, settings.CONTACT_RETENTION_DAYS),
        unfinished_days=_days(study.unfinished_retention_days, settings.UNFINISHED_RETENTION_DAYS),
        export_days=_days(study.export_retention_days, settings.EXPORT_RETENTION.days),
    )


def _days(own: int | None, default: int) -> int:
    return default if own is None else own


def contacts_due(study: Study, now: datetime) -> QuerySet[Contact]:
    cutoff = now - timedelta(days=retention_policy(study).contact_days)
    contacts = Contact.objects.filter(member__study=study)
    if study.ended_at is not None and study.ended_at <= cutoff:
        return contacts
    return contacts.filter(member__status=MemberStatus.WITHDRAWN, member__withdrawn_at__lte=cutoff)


def unfinished_due(study: Study, now: datetime) -> QuerySet[Response]:
    cutoff = now - timedelta(days=retention_policy(study).unfinished_days)
    return Response.objects.filter(wave__study=study, status__in=UNFINISHED, updated_at__lte=cutoff)


@transaction.atomic
def delete_expired_contacts(study: Study, now: datetime) -> int:
    """Delete the contact rows (addresses and blind indexes) past the study's period."""
    deleted, _per_model = contacts_due(study, now).delete()
    return deleted


@transaction.atomic
def delete_unfinished_responses(study: Study, now: datetime) -> int:
    """Delete unfinished responses idle past the study's period (their flags go with them)."""
    _total, per_model = unfinished_due(study, now).delete()
    return per_model.get(Response._meta.label, 0)


def contact_schedule(study: Study) -> dict[date, int]:
    """How many contact rows go on which day, as things stand."""
    days = timedelta(days=retention_policy(study).contact_days)
    contacts = Contact.objects.filter(member__study=study)
    if study.ended_at is not None:
        count = contacts.count()
        return {(study.ended_at + days).date(): count} if count else {}
    left = contacts.filter(
        member__status=MemberStatus.WITHDRAWN, member__withdrawn_at__isnull=False
    )
    return _by_day(left, "member__withdrawn_at", days)


def unfinished_schedule(study: Study) -> dict[date, int]:
    """How many unfinished responses go on which day if nobody resumes them."""
    days = timedelta(days=retention_policy(study).unfinished_days)
    unfinished = Response.objects.filter(wave__study=study, status__in=UNFINISHED)
    return _by_day(unfinished, "updated_at", days)


def _by_day(
    rows: QuerySet[Contact] | QuerySet[Response], moment: str, offset: timedelta
) -> dict[date, int]:
    counted = rows.annotate(day=TruncDate(moment)).values("day").annotate(n=Count("pk"))
    return {row["day"] + offset: int(row["n"]) for row in counted}
