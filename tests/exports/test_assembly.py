from __future__ import annotations

import pandas as pd
import pytest

from exports.anonymise.kanon import SUPPRESSED, KAnonymityError
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

    # k=2: the wide layout is k-anonymous within each pattern of waves taken part in,
    # and the fixture's rarest pattern holds 2 people.
    dataset = build_dataset(_spec(panel, sample=sample, layout=layout, k=2))
    frame = _frame(dataset)

    expected = EXPECTED_ROWS[(sample, layout, False)]
    assert dataset.rows == expected
    assert len(frame) == expected
    assert list(frame.columns) == [v.name for v in dataset.variables]
    if layout == "wide":
        assert frame["pid"].is_unique


def people_sharing_values(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Independent check of the long layout: per distinct set of a person's released
    value combinations (the wave left out, "not asked" read as suppressed), the people."""
    signatures: dict[str, set[tuple[float, ...]]] = {}
    for row in frame[["pid", *columns]].itertuples(index=False):
        values = tuple(-6.0 if v == -4.0 else float(v) for v in row[1:])
        signatures.setdefault(row[0], set()).add(values)
    return pd.Series([repr(sorted(s)) for s in signatures.values()]).value_counts()


def _quasi(dataset) -> list[str]:
    return [v.name for v in dataset.variables if "quasi-identifier" in v.notes]


def _quasi_derived(dataset) -> list[str]:
    """Every released column that comes from a quasi-identifier item."""
    quasi_items = {"age", "gender", "city", "birth_year", "sex"}
    return [v.name for v in dataset.variables if v.item in quasi_items]


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_no_identifier_contact_panel_key_or_planted_pii_reaches_the_dataset(layout):
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, layout=layout, k=2, include_flagged=True))
    text = _frame(dataset).to_csv() + repr(dataset.variables) + repr(dataset.notes)

    secrets = [*PLANTED, *panel.raw_panel_keys]
    for member in PanelMember.objects.filter(study=panel.study):
        secrets += [member.pseudonym, member.panel_key_hash or ""]
    assert [s for s in secrets if s in text] == []
    assert "passport" not in [v.item for v in dataset.variables]


@pytest.mark.parametrize(("layout", "k"), [("long", 5), ("long", 3), ("wide", 2)])
def test_every_column_from_a_quasi_identifier_is_k_anonymous_by_the_strict_definition(layout, k):
    # given a limit the fixture can meet, so local suppression alone is under test
    panel = build_three_wave_panel()

    dataset = build_dataset(
        _spec(panel, layout=layout, k=k, include_flagged=True, max_global_risk=1.0)
    )
    frame = _frame(dataset)

    derived = _quasi_derived(dataset)
    participation = [v.name for v in dataset.variables if v.name.startswith("wave_w")]
    if layout == "long":
        assert _quasi(dataset) == ["age", "gender", "city", "birth_year", "sex"]
        assert derived == [*_quasi(dataset), "sex_wvs7", "sex_ess"]
        # the pid joins a person's rows: k holds over each person's values across waves
        counts = people_sharing_values(frame, derived)
    else:
        counts = frame.groupby(participation + derived, dropna=False).size()
    assert counts.min() >= k
    assert dataset.disclosure_report["k_reached"] >= k
    assert float(SUPPRESSED) in set(frame[_quasi(dataset)].stack())


def test_no_twin_of_a_quasi_identifier_releases_more_than_its_released_value():
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, k=3, include_flagged=True, max_global_risk=1.0))
    frame = _frame(dataset)
    by_name = {v.name: v for v in dataset.variables}

    # the exact year of birth has no twin at all, and the codebook says why
    assert [n for n in by_name if n.startswith("birth_year_")] == []
    assert any("twins (WVS-7 Q261) withheld" in n for n in by_name["birth_year"].notes)
    # the sex twins are the released sex, recoded; suppressed where sex is suppressed or
    # recoded to a code the twin does not have
    kept = frame["sex"].isin([1.0, 2.0])
    assert (frame.loc[kept, "sex_wvs7"] == frame.loc[kept, "sex"]).all()
    assert (frame.loc[kept, "sex_ess"] == frame.loc[kept, "sex"]).all()
    assert set(frame.loc[~kept, "sex_wvs7"]) <= {float(SUPPRESSED), -4.0}
    assert SUPPRESSED in by_name["sex_wvs7"].missing_codes


def test_the_wide_layout_refuses_k_a_pattern_of_waves_cannot_reach():
    panel = build_three_wave_panel()

    with pytest.raises(KAnonymityError, match="took part in w2 only has only 3 people"):
        build_dataset(_spec(panel, layout="wide", k=5))


def test_wide_cells_of_absent_waves_keep_not_asked_and_are_not_suppressions():
    panel = build_three_wave_panel()

    dataset = build_dataset(
        _spec(panel, layout="wide", k=2, include_flagged=True, max_global_risk=1.0)
    )
    frame = _frame(dataset)

    for n in (1, 2, 3):
        absent = frame[f"wave_w{n}"] == 0
        for name in ("age", "gender", "city", "birth_year", "sex"):
            assert set(frame.loc[absent, f"{name}_w{n}"]) == {-4.0}
    # recoding merges rare city names (never suppresses): every -6 is a counted suppression
    counted = dataset.disclosure_report["suppressions"]
    for base in ("age", "gender", "city", "birth_year", "sex"):
        wide = [f"{base}_w{n}" for n in (1, 2, 3)]
        assert int((frame[wide] == SUPPRESSED).sum().sum()) == counted[base]


def test_without_a_declared_population_the_release_gate_is_k_alone():
    # given 46 rows of a sample from an unknown population: ER = sum 1/f_k is the number
    # of classes, an upper bound reported but not gated (docs/methods.md 5.6)
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, k=2))
    _frame(dataset)
    report = dataset.disclosure_report

    assert report["global_risk_gated"] is False
    assert report["global_risk_within_limit"] is None
    assert report["release_gate"]["passed"] is True
    assert report["release_gate"]["verdict"].startswith("k-anonymous")
    assert report["code_version"].startswith("panelwave ")
    assert set(report["suppressed_share"]) == set(report["quasi_identifiers"])


def test_a_declared_population_weights_the_risk_and_gates_the_release():
    panel = build_three_wave_panel()
    panel.study.population_size = 60
    panel.study.save(update_fields=["population_size"])

    report = build_dataset(_spec(panel, k=2)).disclosure_report

    assert report["global_risk_gated"] is True
    assert report["population_size"] == 60
    # a sample of most of a small population: the risk is high and the gate fails
    assert report["release_gate"]["passed"] is False
    assert "global risk ER/n" in report["release_gate"]["failures"][0]
    assert report["release_gate"]["verdict"].startswith("NOT ANONYMOUS")


def test_the_report_counts_what_scrubbing_replaced():
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, k=2, include_flagged=True))
    _frame(dataset)

    scrubbed = dataset.disclosure_report["scrubbed"]
    assert scrubbed["EMAIL"] >= 1
    assert scrubbed["TELEGRAM"] >= 2


def _unique_matches(columns: list[str]) -> int:
    """People singled out in both of two releases by the same values across waves."""
    panel = build_three_wave_panel()
    first = _frame(build_dataset(_spec(panel, k=2, pseudonym_key=b"a" * 32)))
    second = _frame(build_dataset(_spec(panel, k=2, pseudonym_key=b"b" * 32)))
    left = people_sharing_values(first, columns).rename("left")
    right = people_sharing_values(second, columns).rename("right")
    joined = pd.concat([left, right], axis=1, join="inner")
    return int(((joined["left"] == 1) & (joined["right"] == 1)).sum())


QI_KEYS = ["age", "gender", "city", "birth_year", "sex"]


def test_two_releases_cannot_be_joined_uniquely_on_quasi_identifiers():
    assert _unique_matches(QI_KEYS) == 0


def test_rows_come_out_in_a_new_random_order_each_time():
    panel = build_three_wave_panel()

    orders = [
        _frame(build_dataset(_spec(panel, k=2, include_flagged=True)))["pid"].tolist()
        for _ in range(2)
    ]

    assert sorted(orders[0]) == sorted(orders[1])
    assert orders[0] != orders[1]
    waves = _frame(build_dataset(_spec(panel, k=2, include_flagged=True)))["wave"].tolist()
    assert waves != sorted(waves)


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
    assert by_name["why_careful"].kind == "string"
    assert set(frame.loc[frame["trust"] == 1, "why_careful_status"]) == {-3.0}
    careful = frame[frame["trust"] == 2]
    assert set(careful.loc[careful["why_careful"] == "", "why_careful_status"]) == {-2.0}
    assert set(careful.loc[careful["why_careful"] != "", "why_careful_status"]) == {0.0}
    assert (careful["why_careful"] == "").any()
    completed = frame["complete"] == 1
    assert set(frame.loc[completed & (frame["comment"] == ""), "comment_status"]) == {-2.0}
    assert set(frame.loc[~completed & (frame["comment"] == ""), "comment_status"]) == {-5.0}
    assert set(frame.loc[frame["wave"] == 3, "media_status"]) == {-4.0}
    other = frame["source"] == 3
    assert set(frame.loc[~other & (frame["complete"] == 1), "source_other_status"]) == {-3.0}
    assert set(frame.loc[other, "source_other_status"]) == {0.0}
    assert any("wording changed" in n for n in by_name["trust"].notes)
    assert any("choices" in n for n in by_name["trust"].notes)
    assert "trust_ess" not in by_name
    assert frame.loc[frame["wave"] == 3, "lifesat_wvs7"].map(lambda v: v < 0 or 1 <= v <= 10).all()


def test_select_multiple_names_and_dummies_and_other_text_beside_the_item():
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, include_flagged=True))
    frame = _frame(dataset)
    names = [v.name for v in dataset.variables]

    assert names.index("source_other") == names.index("source") + 1
    early = frame[frame["wave"] < 3]
    # the string holds the chosen options' XLSForm names, not their positions
    for chosen, tv, web in zip(early["media"], early["media_tv"], early["media_web"], strict=True):
        assert ("tv" in chosen.split()) == (tv == 1.0)
        assert ("web" in chosen.split()) == (web == 1.0)
    assert frame["source_other"].str.startswith("Radio Liberty").any()


def test_withhold_policy_releases_no_free_text():
    panel = build_three_wave_panel()

    frame = _frame(build_dataset(_spec(panel, free_text="withhold", include_flagged=True)))

    assert set(frame["comment"]) <= {"", "<WITHHELD>"}
