"""Celery tasks of scrub-once (registered through respondents/tasks.py)."""

from __future__ import annotations

from celery import shared_task

from respondents.freetext import services


@shared_task(name="respondents.scrub_responses", acks_late=True)
def scrub_responses_task(response_ids: list[int]) -> int:
    # Idempotent: an answer already scrubbed by this version is skipped.
    return services.scrub_responses(response_ids).answers


@shared_task(name="respondents.rescrub_stale", acks_late=True)
def rescrub_stale_task() -> int:
    return services.rescrub_stale().answers
