"""The weights an export carries: weight_rake (combined sample, when the study has margins)
and weight_attrition (panel and balanced samples). The rules are in exports/weights.py.

Attrition covariates are the earlier wave's answers to the items the questionnaire marks
`stable` (the same ones returners are linked on), else its quasi-identifiers: what a person
was when they last answered predicts whether they come back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from django.db.models import F
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext_noop

from config.anyof import AnyOf
from exports.dataset import ExportSpec, Variable
from exports.models import RakingMargins
from exports.sampling import Sample, SampledResponse, select_sample
from exports.texts import translate_to
from exports.weights import WeightingError, band, chain, rake, step_factors
from respondents.models import Response
from respondents.services.linkage import stable_items_of_version
from surveys.models import PrivacyClass, Question

RAKE = "weight_rake"
ATTRITION = "weight_attrition"
LABELS = {
    RAKE: gettext_noop("Raking weight to the study's population margins (mean 1 per wave)"),
    ATTRITION: gettext_noop(
        "Attrition weight: inverse probability of taking part again (mean 1 per wave)"
    ),
}
# Rows fetched per round trip when reading a wave's covariates.
ANSWERS_CHUNK = 10_000
BANDING_NOTE = (
    "rounded to bands of 0.05; a band held by fewer than k rows is merged into the nearest "
    "band held by k or more, so no weight singles a person out"
)


@dataclass(frozen=True)
class ExportWeights:
    # Column name -> response id -> weight.
    columns: dict[str, dict[int, float]] = field(default_factory=dict)
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def variables(self, language: str = "en") -> list[Variable]:
        return [
            Variable(
                name,
                translate_to(language, LABELS[name]),
                "numeric",
                measure="scale",
                notes=self.notes[name],
            )
            for name in self.columns
        ]


def export_weights(spec: ExportSpec, sample: Sample) -> ExportWeights:
    if spec.sample == "combined":
        margins = RakingMargins.objects.filter(study_id=spec.study_id).first()
        if margins is None or not margins.margins:
            return ExportWeights()
        return _raking(sample, margins.margins, k=spec.k)
    return _attrition(spec, sample)


def _answers(response_ids: Sequence[int], items: Sequence[str]) -> pd.DataFrame:
    """The answers to `items` of these responses (a whole wave): the ids go as one array
    (one placeholder each would pass PostgreSQL's 65,535 at a large wave), and only the
    items' values are read, not each answer document."""
    keys = {f"_item{j}": KeyTransform(name, "answers") for j, name in enumerate(items)}
    rows = (
        Response.objects.filter(AnyOf(F("pk"), response_ids))
        .annotate(**keys)
        .values_list("pk", *keys)
        .iterator(chunk_size=ANSWERS_CHUNK)
    )
    frame = pd.DataFrame(rows, columns=["_id", *items])
    return frame.set_index("_id")


def _as_dict(weights: pd.Series) -> dict[int, float]:
    """Response id -> weight."""
    return dict(
        zip(weights.index.astype(int).tolist(), weights.astype(float).tolist(), strict=True)
    )


def _by_wave(responses: Sequence[SampledResponse]) -> dict[int, list[SampledResponse]]:
    found: dict[int, list[SampledResponse]] = defaultdict(list)
    for response in responses:
        found[response.wave_id].append(response)
    return found


def _raking(sample: Sample, margins: Mapping[str, Mapping[str, float]], *, k: int) -> ExportWeights:
    weights: dict[int, float] = {}
    notes: list[str] = []
    for wave in sample.waves:
        rows = _by_wave(sample.responses).get(wave.id, [])
        if not rows:
            continue
        answers = _answers([r.response_id for r in rows], list(margins))
        try:
            raked, summary = rake(answers, margins)
        except WeightingError as error:
            notes.append(f"{wave.name}: not raked ({error})")
            continue
        weights.update(_as_dict(band(raked, k=k)))
        notes.append(f"{wave.name}: design effect {summary.design_effect}; {summary.notes[0]}")
    return ExportWeights({RAKE: weights}, {RAKE: (*notes, BANDING_NOTE)})


def attrition_items(version_id: int) -> list[str]:
    # The same stable items returners are linked on; else the quasi-identifiers.
    quasi = Question.objects.filter(version_id=version_id, privacy=PrivacyClass.QUASI)
    return stable_items_of_version(version_id) or list(
        quasi.order_by("position").values_list("name", flat=True)
    )


def _attrition(spec: ExportSpec, sample: Sample) -> ExportWeights:
    everyone = select_sample(
        spec.study_id,
        [w.id for w in sample.waves],
        sample="combined",
        include_flagged=spec.include_flagged,
    )
    present = _by_wave(everyone.responses)
    people_by_wave = [{r.person for r in present.get(w.id, [])} for w in sample.waves]
    steps: list[dict[str, float]] = []
    notes: list[str] = []
    for position, wave in enumerate(sample.waves[1:], start=1):
        before = present.get(sample.waves[position - 1].id, [])
        items = attrition_items(sample.waves[position - 1].version_id)
        covariates = _answers([r.response_id for r in before], items)
        by_response = {r.response_id: r.person for r in before}
        covariates.index = [by_response[i] for i in covariates.index]
        stayed = pd.Series(
            [p in people_by_wave[position] for p in covariates.index], covariates.index
        )
        if stayed.all() or not stayed.any() or not items:
            steps.append({})
            notes.append(
                f"{wave.name}: no attrition model (everyone or no one stayed, or no items)"
            )
            continue
        factors = step_factors(covariates, stayed)
        steps.append({str(p): float(f) for p, f in factors.items()})
        notes.append(
            f"{wave.name}: logistic model of taking part again on {', '.join(items)}; "
            f"stay rate {stayed.mean():.2f}"
        )
    chained = chain(people_by_wave, steps)
    positions = {w.id: n for n, w in enumerate(sample.waves)}
    raw = pd.Series(
        {
            r.response_id: chained.get((r.person, positions[r.wave_id]), 1.0)
            for r in sample.responses
        },
        dtype=float,
    )
    weights: dict[int, float] = {}
    for rows in _by_wave(sample.responses).values():
        ids = [r.response_id for r in rows]
        wave_weights = raw.loc[ids] / raw.loc[ids].mean()
        weights.update(_as_dict(band(wave_weights, k=spec.k)))
    return ExportWeights({ATTRITION: weights}, {ATTRITION: (*notes, BANDING_NOTE)})
