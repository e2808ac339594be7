"""enqueue_on_commit: send a Celery task after the transaction commits, and never let a
broker outage undo or fail the work the caller already saved.

Every piece of queued work in Panelwave has its state in the database (an export job row
still `queued`, an invitation with no `sent_at`, a wave whose flags are older than its
answers), and a beat sweep finds what is still pending and enqueues it again
(`exports.requeue_waiting_exports`, `respondents.send_unsent_invitations`,
`respondents.clean_open_waves`). So when Redis is down, the request that asked for the
work still succeeds, the row says what is pending, and the work runs once Redis is back.
Every task enqueued here is safe to run twice, which the sweeps rely on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# A short publish retry: a respondent or an admin waits at most about a second for a
# broker that is down, instead of Celery's default of several.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3}


def enqueue_on_commit(task: Task, *args: Any) -> None:  # type: ignore[type-arg]
    """Enqueue `task(*args)` once the current transaction commits (at once outside one)."""
    enqueue_all_on_commit(task, [args])


def enqueue_all_on_commit(task: Task, calls: Sequence[Sequence[Any]]) -> None:  # type: ignore[type-arg]
    """Enqueue `task(*args)` for each args in `calls` once the transaction commits."""
    pending = [tuple(args) for args in calls]

    def publish() -> None:
        for sent, args in enumerate(pending):
            try:
                task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
            except (BrokerError, RedisError) as exc:
                # The rest stays pending in the database for its sweep; trying each one
                # against a broker that is down would only hold the caller up.
                logger.warning(
                    "broker unreachable: %d of %d %s left for its sweep (%s)",
                    len(pending) - sent,
                    len(pending),
                    task.name,
                    type(exc).__name__,
                )
                return

    if pending:
        transaction.on_commit(publish)
