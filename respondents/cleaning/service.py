"""Cleaning a wave, overriding a flag, and the cleaning summary: what every interface calls.

The rules themselves are in respondents/quality/ (see their module docstrings); the runner
that loads a wave and writes flags is respondents/cleaning/runner.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from config.inputerrors import InputError
from respondents.models import (
    CleaningRun,
    CleaningRunStatus,
    FlagOverride,
    QualityFlag,
    Response,
    Wave,
    WaveState,
)
from respondents.quality.config import CleaningConfig, CleaningConfigError

WAVE_NOT_FOUND = "wave {wave_id}: no such wave"
RESPONSE_NOT_FOUND = "response {response_id}: no such response"
UNKNOWN_RULE = "rule {rule!r}: a rule name starts with one of {families}"
REASON_REQUIRED = "an override needs a reason"
NO_ACTIVE_OVERRIDE = "response {response_id} has no active override of {rule!r}"
# The revoke reason of a decision replaced by a newer one on the same response and rule.
REPLACED = "replaced by a newer decision"


class CleaningError(InputError):
    """A cleaning request that cannot run: the message names the problem, `field` the
    request field it is about."""


@dataclass(frozen=True)
class CleaningSummary:
    wave_id: int
    run_id: int | None
    finished_at: datetime | None
    responses: int
    flagged_responses: int
    overrides: int
    # rule -> current flags
    per_rule: dict[str, int]
    # channel -> {"responses": n, "flagged": k, rule: flags, ...}
    per_channel: dict[str, dict[str, int]]
    # ISO date of the start -> {"responses": n, "flagged": k}
    per_day: dict[str, dict[str, int]]
    notes: tuple[str, ...]


def clean_wave(wave_id: int, *, config_overrides: Mapping[str, Any] | None = None) -> CleaningRun:
    """Run the quality rules over a wave; its flags become the wave's current flags.

    The configuration is the documented defaults, then the wave's cleaning_config, then
    `config_overrides`; a bad key fails before anything is written.
    """
    wave = Wave.objects.filter(pk=wave_id).first()
    if wave is None:
        raise CleaningError(WAVE_NOT_FOUND.format(wave_id=wave_id))
    try:
        config = CleaningConfig.from_overrides(wave.cleaning_config, config_overrides)
    except CleaningConfigError as exc:
        raise CleaningError(f"wave {wave_id}: {exc}", field="config_overrides") from exc
    # Imported on use: the runner loads pandas and numpy, which web processes and commands
    # that never clean would otherwise load at start-up (admin imports this module).
    from respondents.cleaning.runner import run_cleaning  # noqa: PLC0415 (heavy: loaded on use)

    return run_cleaning(wave, config)


def open_wave_ids() -> list[int]:
    return list(Wave.objects.filter(state=WaveState.OPEN).values_list("pk", flat=True))


@transaction.atomic
def override_flag(
    response_id: int, *, rule: str, reason: str, decided_by: AbstractBaseUser | None = None
) -> FlagOverride:
    """Record that `rule` (a rule or a whole family, e.g. "duplicate") does not apply.

    What an override covers is `override_covers` (respondents/quality/rules.py): the rule
    itself, a whole family, or for an answer duplicate the same response's relabels.

    The current flag goes at once and later runs do not raise it again; the override row
    keeps who decided, when and why.
    """
    # The rules module loads every rule's numpy and pandas code; see clean_wave.
    from respondents.quality.rules import (  # noqa: PLC0415 (heavy: loaded on use)
        RULE_FAMILIES,
        family_of,
        override_covers,
    )

    if family_of(rule) not in RULE_FAMILIES:
        raise CleaningError(
            UNKNOWN_RULE.format(rule=rule, families=", ".join(RULE_FAMILIES)), field="rule"
        )
    if not reason.strip():
        raise CleaningError(REASON_REQUIRED, field="reason")
    # The response row's lock serialises two decisions on one response, the first one
    # included (with no override yet there is no override row to lock).
    if Response.objects.select_for_update().filter(pk=response_id).first() is None:
        raise CleaningError(RESPONSE_NOT_FOUND.format(response_id=response_id))
    # The earlier decision is kept, revoked, never overwritten.
    _revoke(response_id, rule, reason=REPLACED, revoked_by=decided_by)
    override = FlagOverride.objects.create(
        response_id=response_id,
        rule=rule,
        reason=reason.strip(),
        decided_by=decided_by,  # type: ignore[misc]  # the project's user model, or None
    )
    current = QualityFlag.objects.filter(response_id=response_id).values_list("pk", "rule")
    covered = [pk for pk, flag_rule in current if override_covers(rule, flag_rule)]
    QualityFlag.objects.filter(pk__in=covered).delete()
    return override


@transaction.atomic
def revoke_override(
    response_id: int, *, rule: str, reason: str, revoked_by: AbstractBaseUser | None = None
) -> FlagOverride:
    """Withdraw a researcher's override; the next cleaning run raises the flag again if the
    rule still applies. The decision's row stays, marked revoked, with who, when and why."""
    if not reason.strip():
        raise CleaningError(REASON_REQUIRED, field="reason")
    revoked = _revoke(response_id, rule, reason=reason.strip(), revoked_by=revoked_by)
    if revoked is None:
        raise CleaningError(
            NO_ACTIVE_OVERRIDE.format(rule=rule, response_id=response_id), field="rule"
        )
    return revoked


def _revoke(
    response_id: int, rule: str, *, reason: str, revoked_by: AbstractBaseUser | None
) -> FlagOverride | None:
    active = (
        FlagOverride.objects.active()
        .select_for_update()
        .filter(response_id=response_id, rule=rule)
        .first()
    )
    if active is None:
        return None
    active.revoked_at = timezone.now()
    active.revoked_by = revoked_by  # type: ignore[assignment]  # the project's user model
    active.revoke_reason = reason
    active.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    return active


def current_run(wave_id: int) -> CleaningRun | None:
    return (
        CleaningRun.objects.filter(wave_id=wave_id, status=CleaningRunStatus.FINISHED)
        .order_by("-finished_at", "-pk")
        .first()
    )


def latest_run(wave_id: int) -> CleaningRun | None:
    """The wave's most recently started run, whatever its status (running, failed...)."""
    return CleaningRun.objects.filter(wave_id=wave_id).order_by("-started_at", "-pk").first()


def wave_flags(wave_id: int, *, rule: str = "") -> QuerySet[QualityFlag]:
    """The wave's current flags by rule then response, each with its response; `rule` a
    family (speeder) or a full rule name (duplicate:exact) narrows them."""
    flags = QualityFlag.objects.filter(response__wave_id=wave_id).select_related("response")
    if rule:
        flags = flags.filter(Q(rule=rule) | Q(rule__startswith=f"{rule}:"))
    return flags.order_by("rule", "response_id")


def active_overrides(wave_id: int) -> QuerySet[FlagOverride]:
    """The decisions that hold flags back in the wave, newest first."""
    return (
        FlagOverride.objects.active()
        .filter(response__wave_id=wave_id)
        .select_related("response", "decided_by")
        .order_by("-decided_at", "-pk")
    )


def current_flags(wave_id: int) -> Iterator[tuple[str, str, float | None, str]]:
    """(source_id or id, rule, score, detail) for each current flag, in response order."""
    rows = (
        QualityFlag.objects.filter(response__wave_id=wave_id)
        .order_by("response_id", "rule")
        .values_list("response__source_id", "response_id", "rule", "score", "detail")
    )
    for source_id, response_id, rule, score, detail in rows.iterator(chunk_size=5_000):
        yield (source_id or str(response_id), rule, score, detail)


def cleaning_summary(wave: Wave) -> CleaningSummary:
    run = current_run(wave.pk)
    flags = QualityFlag.objects.filter(response__wave=wave)
    responses = Response.objects.filter(wave=wave)
    per_rule = dict(flags.values_list("rule").annotate(n=Count("id")).order_by("rule"))
    flagged = Count("pk", filter=Q(flags__isnull=False), distinct=True)
    per_channel: dict[str, dict[str, int]] = {
        channel or "(none)": {"responses": total, "flagged": hit}
        for channel, total, hit in responses.values_list("channel")
        .annotate(total=Count("pk", distinct=True), hit=flagged)
        .order_by("channel")
    }
    for channel, rule, n in (
        flags.values_list("response__channel", "rule").annotate(n=Count("id")).order_by()
    ):
        per_channel[channel or "(none)"][rule] = n
    per_day = {
        day.isoformat(): {"responses": total, "flagged": hit}
        for day, total, hit in responses.annotate(day=TruncDate("started_at"))
        .values_list("day")
        .annotate(total=Count("pk", distinct=True), hit=flagged)
        .order_by("day")
    }
    return CleaningSummary(
        wave_id=wave.pk,
        run_id=run.pk if run else None,
        finished_at=run.finished_at if run else None,
        responses=responses.count(),
        flagged_responses=flags.values("response_id").distinct().count(),
        overrides=FlagOverride.objects.active().filter(response__wave=wave).count(),
        per_rule=per_rule,
        per_channel=per_channel,
        per_day=per_day,
        notes=tuple(run.notes) if run else (),
    )
