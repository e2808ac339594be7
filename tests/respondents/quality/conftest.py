from __future__ import annotations

import pytest

from respondents.quality.config import CleaningConfig
from respondents.quality.rules import QualityReport, run_rules
from tests.respondents.quality.synthetic import SyntheticWave, generate_wave


@pytest.fixture(scope="session")
def synthetic() -> SyntheticWave:
    return generate_wave(3000)


@pytest.fixture(scope="session")
def report(synthetic: SyntheticWave) -> QualityReport:
    return run_rules(synthetic.frame, CleaningConfig())


def recall_precision(
    report: QualityReport, synthetic: SyntheticWave, rule: str, *, planted_as: str = ""
) -> tuple[float, float]:
    found = {int(r) for f in report.flags if f.rule == rule for r in f.rows}
    planted = synthetic.planted[planted_as or rule]
    hits = len(found & planted)
    return hits / len(planted), hits / max(len(found), 1)
