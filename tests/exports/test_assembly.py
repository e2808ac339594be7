from __future__ import annotations

import pandas as pd
import pytest

from exports.anonymise.kanon import SUPPRESSED
from exports.assembly import build_dataset
from exports.dataset import ExportSpec
from respondents.models import PanelMember
from tests.exports.fixtures import EXPECTED_ROWS, PLANTED, build_three_wave_panel

pytestmark = pytest.mark.django_db


def _spec(panel, **options) -> ExportSpec:
    defaults = {"sample": "combined", "layout": "long", "pseudonym_key": b"k" * 32}
    return ExportSpec(study_id=panel.study.pk, wave_ids=panel.wave_ids, **{**defaults, **options})


def _frame(dataset) -> pd.DataFrame:
    chunks = list(dataset.chunks())
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


@pytest.mark.parametrize("sample", ["combined", "panel", "balanced"])
@pytest.mark.parametrize("layout", ["long", "wide"])
def test_build_dataset_has_the_exact_rows_for_each_sample_and_layout(sample, layout):
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, sample=sample, layout=layout))
    frame = _frame(dataset)

    expected = EXPECTED_ROWS[(sample, layout, False)]
    assert dataset.rows == expected
    assert len(frame) == expected
    assert list(frame.columns) == [v.name for v in dataset.variables]
    if layout == "wide":
        assert frame["pid"].is_unique


def _quasi(dataset) -> list[str]:
    return [v.name for v in dataset.variables if "quasi-identifier" in v.notes]


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_no_identifier_contact_panel_key_or_planted_pii_reaches_the_dataset(layout):
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, layout=layout, include_flagged=True))
    text = _frame(dataset).to_csv() + repr(dataset.variables) + repr(dataset.notes)

    secrets = [*PLANTED, *panel.raw_panel_keys]
    for member in PanelMember.objects.filter(study=panel.study):
        secrets += [member.pseudonym, member.panel_key_hash or ""]
    assert [s for s in secrets if s in text] == []
    assert "passport" not in [v.item for v in dataset.variables]


@pytest.mark.parametrize(("layout", "k"), [("long", 5), ("wide", 5), ("long", 3), ("wide", 2)])
def test_released_quasi_identifiers_are_k_anonymous_by_the_strict_definition(layout, k):
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, layout=layout, k=k, include_flagged=True))
    frame = _frame(dataset)

    quasi = _quasi(dataset)
    keys = (["wave"] if layout == "long" else []) + quasi
    counts = frame.groupby(keys, dropna=False).size()
    assert quasi == ["age", "gender", "city"] if layout == "long" else len(quasi) == 9
    assert counts.min() >= k
    assert dataset.disclosure_report["k_reached"] >= k
    assert float(SUPPRESSED) in set(frame[quasi].stack())


def test_two_exports_share_no_pid_and_one_export_keeps_a_person_across_waves():
    panel = build_three_wave_panel()

    first = _frame(build_dataset(_spec(panel, sample="balanced", pseudonym_key=b"a" * 32)))
    second = _frame(build_dataset(_spec(panel, sample="balanced", pseudonym_key=b"b" * 32)))

    assert not set(first["pid"]) & set(second["pid"])
    assert first.groupby("pid")["wave"].apply(sorted).tolist() == [[1.0, 2.0, 3.0]] * 5


def test_waves_on_different_versions_merge_with_distinct_missing_codes():
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, include_flagged=True))
    frame = _frame(dataset)
    by_name = {v.name: v for v in dataset.variables}

    assert set(frame.loc[frame["wave"] == 3, "media_tv"]) == {-4.0}
    assert set(frame.loc[frame["wave"] < 3, "lifesat"]) == {-4.0}
    # why_careful is asked only when trust = 2; empty otherwise -> not applicable.
    assert set(frame.loc[frame["trust"] == 1, "why_careful"]) == {""}
    assert -3 in by_name["why_careful"].missing_codes or by_name["why_careful"].kind == "string"
    assert any("wording changed" in n for n in by_name["trust"].notes)
    assert any("choices" in n for n in by_name["trust"].notes)
    assert "trust_ess" not in by_name
    assert frame.loc[frame["wave"] == 3, "lifesat_wvs7"].map(lambda v: v < 0 or 1 <= v <= 10).all()


def test_select_multiple_codes_and_dummies_and_other_text_beside_the_item():
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, include_flagged=True))
    frame = _frame(dataset)
    names = [v.name for v in dataset.variables]

    assert names.index("source_other") == names.index("source") + 1
    early = frame[frame["wave"] < 3]
    for codes, tv, web in zip(early["media"], early["media_tv"], early["media_web"], strict=True):
        assert ("1" in codes.split()) == (tv == 1.0)
        assert ("3" in codes.split()) == (web == 1.0)
    assert frame["source_other"].str.startswith("Radio Liberty").any()


def test_withhold_policy_releases_no_free_text():
    panel = build_three_wave_panel()

    frame = _frame(build_dataset(_spec(panel, free_text="withhold", include_flagged=True)))

    assert set(frame["comment"]) <= {"", "<WITHHELD>"}
