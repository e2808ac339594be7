"""request_cleaning: the one way the workspace, the admin and the API ask for a cleaning run.

Its own module because it queues the clean_wave task, and respondents.tasks imports
cleaning.service to run it: keeping the two apart leaves no import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from config.queueing import enqueue_on_commit
from respondents.cleaning.service import CleaningError
from respondents.models import Wave
from respondents.quality.config import CleaningConfig, CleaningConfigError
from respondents.tasks import clean_wave_task


def request_cleaning(wave: Wave, *, config_overrides: Mapping[str, Any] | None = None) -> None:
    """Queue a cleaning run of the wave, to start once the caller's transaction commits.

    The clean_wave command runs the same service in-process instead, to write its report.
    A bad override is refused here, as the caller's error, before anything is queued; a
    broker outage leaves an open wave for the half-hourly clean_open_waves sweep
    (config/queueing.py).
    """
    try:
        CleaningConfig.from_overrides(wave.cleaning_config, config_overrides)
    except CleaningConfigError as exc:
        raise CleaningError(f"wave {wave.pk}: {exc}", field="config_overrides") from exc
    overrides = dict(config_overrides) if config_overrides else None
    enqueue_on_commit(clean_wave_task, wave.pk, overrides)
