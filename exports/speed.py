"""The relative speed index of every completed response of an export's sample, recomputed
per wave from the page times with the cleaning's own function
(respondents/quality/speeders.py), so a researcher can redo the speeder exclusion.

The page times are read through the ORM, one column of text at a time made numbers. The
cleaning's COPY reading (respondents/wave_copy.py) was measured slower here: it brings
every fixed field of a response, and this needs two."""

from __future__ import annotations

from itertools import islice

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from exports.sampling import Sample, WaveInfo
from respondents.models import CleaningRun, CleaningRunStatus, Response, ResponseStatus, Wave
from respondents.quality.config import CleaningConfig, CleaningConfigError
from respondents.quality.speeders import reference_medians, relative_speed_index
from surveys.models import Page

# Completed responses' page times read per round trip (the ORM reading).
TIMES_CHUNK = 20_000
# The cleaning settings the speed index uses (the rest of a run's config is not needed).
SPEED_SETTINGS = ("speeder_rsi_cap", "speeder_min_reference")


def speed_indexes(sample: Sample) -> pd.Series:
    """Response id -> relative speed index, for the sample's completed responses whose
    wave has page times; per wave, with the wave's references as the cleaning takes them.
    A Series, not a dict: at 10^6 responses a dict of them held about 150 MB."""
    wanted = np.fromiter((r.response_id for r in sample.responses), dtype=np.int64)
    parts = []
    for wave in sample.waves:
        ids, rsi = _wave_speed_index(wave)
        kept = np.isin(ids, wanted) & ~np.isnan(rsi)  # NaN: no index
        parts.append(pd.Series(rsi[kept], index=ids[kept], dtype=np.float64))
    if not parts:
        return pd.Series(dtype=np.float64, index=pd.Index([], dtype=np.int64))
    return pd.concat(parts)


def _wave_speed_index(wave: WaveInfo) -> tuple[np.ndarray, np.ndarray]:
    pages = list(
        Page.objects.filter(version_id=wave.version_id)
        .order_by("position")
        .values_list("name", flat=True)
    )
    if not pages:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    config = _speed_config(wave.id)
    ids, languages, matrix = _page_times(wave.id, pages)
    if not len(ids):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    groups = pd.factorize(pd.Series(languages, dtype=object))[0].astype(np.int64)
    # Every row here is a completed response: all are references, as in the cleaning.
    # Only the medians are used (the first element; the other outputs are the cleaning's
    # notes and n_reference).
    medians = reference_medians(
        matrix,
        np.arange(len(ids)),
        groups,
        min_reference=config.speeder_min_reference,
    )[0]
    return ids, relative_speed_index(matrix, medians, cap=config.speeder_rsi_cap)


PageTimes = tuple[np.ndarray, np.ndarray, npt.NDArray[np.float64]]


def _page_times(wave_id: int, pages: list[str]) -> PageTimes:
    """The wave's completed responses by id: ids, languages (None for none), and the
    seconds on each page (NaN where absent or not a number)."""
    times = {
        f"t{j}": KeyTextTransform("seconds", KeyTransform(page, KeyTransform("pages", "paradata")))
        for j, page in enumerate(pages)
    }
    rows = (
        Response.objects.filter(wave_id=wave_id, status=ResponseStatus.COMPLETED)
        .annotate(**times)
        .order_by("pk")
        .values_list("pk", "language", *times)
        .iterator(chunk_size=TIMES_CHUNK)
    )
    # Made arrays a chunk at a time: the rows as Python tuples of texts, a wave at once,
    # held about 500 MB at 10^6 responses.
    ids, languages, matrices = [], [], []
    while chunk := list(islice(rows, TIMES_CHUNK)):
        ids.append(np.array([row[0] for row in chunk], dtype=np.int64))
        languages.append(_no_blank(np.array([row[1] for row in chunk], dtype=object)))
        matrix = np.zeros((len(chunk), len(pages)))
        for j in range(len(pages)):
            matrix[:, j] = _seconds(np.array([row[2 + j] for row in chunk], dtype=object))
        matrices.append(matrix)
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros((0, len(pages)))
    return np.concatenate(ids), np.concatenate(languages), np.concatenate(matrices)


def _seconds(texts: np.ndarray) -> npt.NDArray[np.float64]:
    """Page seconds as the database gives them (text or None) as numbers, NaN where absent
    or not a number."""
    numbers = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce")
    return np.asarray(numbers.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _no_blank(languages: np.ndarray) -> np.ndarray:
    """A blank language is none (one group of the medians with the absent ones)."""
    blank = np.array([not value for value in languages.tolist()], dtype=bool)
    languages = languages.copy()
    languages[blank] = None
    return languages


def _speed_config(wave_id: int) -> CleaningConfig:
    """The speed settings of the wave's latest finished cleaning run, else the wave's own."""
    run = (
        CleaningRun.objects.filter(wave_id=wave_id, status=CleaningRunStatus.FINISHED)
        .order_by("-started_at", "-pk")
        .values_list("config", flat=True)
        .first()
    )
    wave_config = Wave.objects.filter(pk=wave_id).values_list("cleaning_config", flat=True).first()
    source = run if run else wave_config
    chosen = {k: v for k, v in (source or {}).items() if k in SPEED_SETTINGS}
    try:
        return CleaningConfig.from_overrides(chosen)
    except CleaningConfigError:
        return CleaningConfig()
