"""Exports carry weights: weight_rake on combined samples once margins are set, and
weight_attrition on panel samples, labelled in the file."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from django.core.management import CommandError, call_command

from exports.models import RakingMargins
from tests.builders import build_version, make_study
from tests.exports.exporting import use_media
from tests.respondents.fieldwork import START, add_response, make_member, make_wave

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    {
        "name": "about",
        "questions": [
            {"name": "birth_year", "type": "integer", "extra": {"stable": "yes"}},
            {"name": "sex", "type": "select_one", "choices": "sexes", "extra": {"stable": "yes"}},
            {"name": "trust", "type": "select_one", "choices": "scale"},
        ],
    }
]
CHOICES = {
    "sexes": [(s, {"en": s, "ru": s}) for s in ("f", "m")],
    "scale": [(str(n), {"en": str(n), "ru": str(n)}) for n in range(1, 6)],
}


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


@pytest.fixture
def panel():
    study = make_study("weighted")
    version = build_version(study, PAGES, choices=CHOICES)
    first = make_wave(study, version, "Wave 1")
    second = make_wave(study, version, "Wave 2")
    second.opens_at = (first.opens_at or START) + timedelta(days=180)
    second.save(update_fields=["opens_at"])
    for n in range(80):
        person = make_member(study)
        answers = {"birth_year": 1970 + n % 30, "sex": "m" if n % 4 else "f", "trust": "3"}
        add_response(first, member=person, answers=answers)
        # Women come back more often than men: the panel leans female.
        if (answers["sex"] == "f" and n % 8 != 1) or n % 3 == 0:
            add_response(second, member=person, answers=answers)
    return study, first, second


def _export(
    study: Any,
    waves: list[Any],
    out: Path,
    fmt: str,
    *,
    sample: str = "panel",
    language: str | None = "en",
) -> None:
    """export_data, long layout, k=2; `language` None keeps the study's default (Russian)."""
    chosen = ["--language", language] if language else []
    call_command(
        "export_data",
        "--study",
        study.slug,
        "--waves",
        ",".join(str(w.pk) for w in waves),
        "--format",
        fmt,
        "--sample",
        sample,
        "--layout",
        "long",
        "--k",
        "2",
        *chosen,
        "--out",
        str(out),
        stdout=io.StringIO(),
    )


def test_set_margins_then_a_combined_export_carries_a_raking_weight(panel, media, tmp_path):
    study, first, _ = panel
    margins = tmp_path / "margins.csv"
    margins.write_text("item,value,share\nsex,f,50\nsex,m,50\n", encoding="utf-8")
    call_command("set_margins", "--study", study.slug, "--file", str(margins), stdout=io.StringIO())
    assert RakingMargins.objects.get(study=study).margins == {"sex": {"f": 0.5, "m": 0.5}}
    out = tmp_path / "out"
    _export(study, [first], out, "sav", sample="combined", language=None)
    [sav] = out.glob("*.sav")
    frame, meta = pyreadstat.read_sav(str(sav))
    assert "weight_rake" in frame.columns
    # the study's default language (Russian) labels every variable, the weight too
    assert "Вес калибровки (raking)" in str(meta.column_names_to_labels["weight_rake"])  # noqa: RUF001
    # The raked, banded weights give women and men about half each.
    share = (
        frame.loc[frame["sex"] == frame["sex"].min(), "weight_rake"].sum()
        / frame["weight_rake"].sum()
    )
    assert abs(share - 0.5) < 0.05


def test_a_panel_export_carries_an_attrition_weight(panel, media, tmp_path):
    study, first, second = panel
    out = tmp_path / "out"
    _export(study, [first, second], out, "sav", language=None)
    [sav] = out.glob("*.sav")
    frame, meta = pyreadstat.read_sav(str(sav))
    assert "Вес выбывания" in str(meta.column_names_to_labels["weight_attrition"])  # noqa: RUF001
    second_wave = frame[frame["wave"] == 2]["weight_attrition"]
    # men stayed less, so they weigh more than women in wave 2
    assert second_wave.nunique() > 1
    assert second_wave.mean() == pytest.approx(1.0, abs=0.05)
    # every wave-2 row is tied to its person by the personal link (the fixture invites)
    assert set(frame["linked_by"].unique()) <= {0.0, 1.0, 2.0, 3.0, 4.0, 5.0}
    assert "связана" in str(meta.column_names_to_labels["linked_by"])


@pytest.mark.parametrize(
    ("_case", "content", "message"),
    [
        ("not 100%", "item,value,share\nsex,f,40\nsex,m,50\n", "sum to 90.0%, not 100%"),
        ("unknown item", "item,value,share\nshoe,42,100\n", "'shoe' is not a single-choice"),
        ("unknown answer", "item,value,share\nsex,x,50\nsex,m,50\n", "'sex' has no answer 'x'"),
        ("no header", "sex,f,50\n", "needs the header item,value,share"),
        ("not a number", "item,value,share\nsex,f,half\nsex,m,50\n", "row 2: share 'half'"),
    ],
)
def test_bad_margins_are_refused_and_change_nothing(panel, tmp_path, _case, content, message):
    study, _, _ = panel
    margins = tmp_path / "margins.csv"
    margins.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("set_margins", "--study", study.slug, "--file", str(margins))
    assert not RakingMargins.objects.exists()


def test_the_attrition_weight_opens_in_stata_and_r_with_its_label(panel, media, tmp_path):
    study, first, second = panel
    _export(study, [first, second], tmp_path / "dta", "dta")
    [dta] = (tmp_path / "dta").glob("*.dta")
    frame, meta = pyreadstat.read_dta(str(dta))
    assert "Attrition weight" in str(meta.column_names_to_labels["weight_attrition"])
    assert frame["weight_attrition"].notna().all()
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript is not installed")
    _export(study, [first, second], tmp_path / "rds", "rds")
    [script] = (tmp_path / "rds").glob("*.R")
    r_code = (
        f"setwd({json.dumps(str(script.parent))}); source({json.dumps(script.name)}); "
        'w <- data[["weight_attrition"]]; '
        'cat(attr(w, "label"), "\\n"); cat(is.numeric(unclass(w)), sum(!is.na(w)), "\\n")'
    )
    out = subprocess.run(
        ["Rscript", "-e", r_code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert "Attrition weight" in out[0]
    assert out[1].split() == ["TRUE", str(len(frame))]
