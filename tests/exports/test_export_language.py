"""One language per export: a Russian export's fixed texts (missing reasons, flag and
paradata labels, format notes, the codebook's headings and notes, the R script's comment)
are Russian in every file, read back in each format's own client; an English export keeps
English. The texts come from locale/ through Django's catalogue, so every fixed text the
exports app marks for translation must have a Russian entry there."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest

from exports.assembly import build_dataset
from exports.catalogue import twin_labels
from exports.codebook import ExportDescription, write_codebook
from exports.dataset import ExportSpec
from exports.harmonise import plan_twins
from exports.items import ChoiceDef, Item, ItemVersion
from exports.texts import translate_to
from exports.writers import get_writer
from tests.exports.fixtures import build_three_wave_panel

ROOT = Path(__file__).resolve().parents[2]
NEEDS_R = pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
NEEDS_XGETTEXT = pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="xgettext (GNU gettext) is not installed"
)
CYRILLIC = "[\u0400-\u04ff]"
# English fixed texts that must not survive in a Russian export.
ENGLISH = (
    "Missing values",
    "Disclosure control",
    "Cleaning rules applied",
    "Variables",
    "Rows are in random order",
    "Removed by disclosure control",
    "Not asked in this wave or version",
    "user-defined missing value",
    "extended missing values",
    "Release gate",
)


def _export(panel, directory: Path, fmt: str, language: str) -> Path:
    spec = ExportSpec(
        study_id=panel.study.pk,
        wave_ids=panel.wave_ids,
        sample="combined",
        layout="long",
        k=2,
        include_flagged=True,
        language=language,
        pseudonym_key=b"l" * 32,
    )
    dataset = build_dataset(spec)
    directory.mkdir()
    written = get_writer(fmt)(dataset, directory, basename="data")
    about = ExportDescription(
        study="panel", format=fmt, sample="combined", layout="long", waves=("w1", "w2", "w3"),
        language=language, k=2, include_flagged=True, created_at=pd.Timestamp.now(tz="UTC"),
    )  # fmt: skip
    write_codebook(dataset, written, about, directory, basename="data")
    return written.paths[0]


@pytest.fixture
def russian(tmp_path):
    panel = build_three_wave_panel()
    paths = {fmt: _export(panel, tmp_path / fmt, fmt, "ru") for fmt in ("sav", "dta", "rds")}
    paths["en"] = _export(panel, tmp_path / "en", "sav", "en")
    return paths


def _fixed_labels(meta) -> dict[str, str]:
    return {name: label for name, label in meta.column_names_to_labels.items() if label}


@pytest.mark.django_db
def test_a_russian_export_speaks_russian_in_every_file(russian):
    _, sav_meta = pyreadstat.read_sav(str(russian["sav"]), metadataonly=True)
    labels = _fixed_labels(sav_meta)
    assert labels["duration"] == "Общая длительность в секундах (от начала до завершения)"
    flags = [name for name in labels if name.startswith("flag_")]
    assert flags
    assert all(labels[name].startswith("Флаг чистки: ") for name in flags)
    assert sav_meta.variable_value_labels["duration"][-5.0] == "Не завершена"  # noqa: RUF001
    assert sav_meta.variable_value_labels["age"][-6.0] == "Удалено для защиты от раскрытия"
    _, dta_meta = pyreadstat.read_dta(str(russian["dta"]), metadataonly=True)
    assert dta_meta.column_names_to_labels["complete"] == "Анкета заполнена до конца"
    assert "Удалено для защиты от раскрытия" in dta_meta.variable_value_labels["age"].values()

    for fmt in ("sav", "dta", "rds"):
        codebook = _prose((russian[fmt].parent / "data_codebook.md").read_text(encoding="utf-8"))
        for english in ENGLISH:
            assert english not in codebook, (fmt, english)
        assert "## Пропущенные значения" in codebook
        assert "## Защита от раскрытия" in codebook
        assert "- Строки идут в случайном порядке." in codebook
        assert "Проверка перед выпуском: " in codebook
        assert "квазиидентификатор" in codebook
    notes = {
        "sav": "SPSS: каждый код пропуска",
        "dta": "Stata: коды пропусков",
        "rds": "R: в .rds каждый пропущенный ответ",
    }
    for fmt, note in notes.items():
        package = json.loads((russian[fmt].parent / "datapackage.json").read_text())
        assert package["panelwave"]["notes"][-1].startswith(note)
    ddi = (russian["sav"].parent / "data_ddi.xml").read_text(encoding="utf-8")
    assert "Отчёт о риске раскрытия (JSON)" in ddi  # noqa: RUF001

    english = (russian["en"].parent / "data_codebook.md").read_text(encoding="utf-8")
    assert "## Missing values" in english
    assert "- Rows are in random order." in english
    assert not re.search(CYRILLIC, _prose(english).split("## Variables")[0])


@NEEDS_R
@pytest.mark.django_db
def test_the_r_script_comments_and_labels_in_the_export_language(russian):
    folder = russian["rds"].parent
    script = (folder / "data.R").read_text(encoding="utf-8")
    assert script.startswith("# ")
    assert "метки переменных" in script.splitlines()[0]
    r = f"""
    setwd({json.dumps(str(folder))})
    source("data.R")
    cat(attr(data[["duration"]], "label"), "\\n")
    cat(names(attr(data[["age"]], "labels")), sep = "\\n")
    """
    out = subprocess.run(
        ["Rscript", "-e", r], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert "Общая длительность в секундах" in out
    assert "Удалено для защиты от раскрытия" in out


@NEEDS_XGETTEXT
def test_every_fixed_text_of_an_export_has_a_russian_translation(tmp_path):
    sources = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "exports").rglob("*.py")
        if "migrations" not in p.parts
    )
    pot = tmp_path / "exports.pot"
    subprocess.run(
        [
            "xgettext", "--language=Python", "--from-code=UTF-8", "--keyword=gettext_noop",
            "--no-location", "--omit-header", "-o", str(pot), *sources,
        ],
        cwd=ROOT, check=True,
    )  # fmt: skip
    messages = _msgids(pot.read_text(encoding="utf-8"))
    assert len(messages) > 100
    po = ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po"
    in_catalogue = set(_msgids(po.read_text(encoding="utf-8")))
    assert [m for m in messages if m not in in_catalogue] == []
    # and the compiled catalogue Django reads is the .po's (msgfmt was run)
    assert translate_to("ru", "Removed by disclosure control") == "Удалено для защиты от раскрытия"
    assert translate_to("ru", messages[-1]) != messages[-1]


def _prose(codebook: str) -> str:
    """The codebook without its machine-readable JSON report (keys stay English)."""
    return re.sub(r"```json\n.*?\n```", "", codebook, flags=re.S)


def _msgids(pot: str) -> list[str]:
    out = []
    for match in re.finditer(r'^msgid ((?:".*"\n)+)', pot + "\n", re.M):
        text = "".join(re.findall(r'^"(.*)"$', match.group(1), re.M))
        if text:
            out.append(json.loads(f'"{text}"'))
    return out


@pytest.mark.django_db
def test_harmonised_twins_in_the_other_format_speak_the_export_language(russian):
    _, ru = pyreadstat.read_sav(str(russian["sav"]), metadataonly=True)
    _, en = pyreadstat.read_sav(str(russian["en"]), metadataonly=True)
    # lifesat is asked on the ESS 0-10 scale; its WVS-7 twin comes from the item bank
    assert ru.variable_value_labels["lifesat_wvs7"][1.0] == "Совершенно не удовлетворён"
    assert en.variable_value_labels["lifesat_wvs7"][1.0] == "Completely dissatisfied"
    assert ru.variable_value_labels["lifesat_ess"][10.0] == "Крайне удовлетворён"
    # sex is asked in the WVS format; its ESS twin is labelled in Russian too
    assert ru.variable_value_labels["sex_ess"][2.0] == "Женский"
    twins = {n: v for n, v in ru.variable_value_labels.items() if n.endswith(("_wvs7", "_ess"))}
    assert len(twins) >= 4
    for name, labels in twins.items():
        for label in labels.values():
            assert re.search(CYRILLIC, label) or not re.search("[A-Za-z]{3}", label), (
                name,
                label,
            )


def _item(labels_by_code: dict[int, dict[str, str]]) -> Item:
    choices = tuple(
        ChoiceDef(name=str(code), code=code, labels=labels)
        for code, labels in labels_by_code.items()
    )
    version = ItemVersion(
        version_id=1, type="select_one", labels={"en": "Q"}, relevant="", choices=choices,
        other_choice="", harmonise="c", extra={},
    )  # fmt: skip
    return Item(name="q", type="select_one", privacy="", versions={1: version})


RECODE = {"from": "wvs7.Q1", "to": "ess.q1", "map": {"1": 1, "2": 2}, "exact": True}
BANK: dict[str, Any] = {
    "wvs7": {
        "item": "Q1",
        "categories": [{"code": 1, "label": "Yes"}, {"code": 2, "label": "No"}],
    },
    "ess": {
        "variable": "q1",
        "categories": [{"code": 1, "label": "Yes"}, {"code": 2, "label": "No"}],
    },
    "harmonisation": {"recodes": [RECODE]},
}


def test_a_twin_without_the_language_in_the_bank_takes_the_questionnaires_label():
    item = _item({1: {"en": "Yes", "ru": "Да, конечно"}, 2: {"en": "No"}})
    plans, _ = plan_twins(BANK, [1, 2], hint="wvs7", language="ru")
    ess = next(plan for plan in plans if plan.target == "ess")
    labels, english = twin_labels(item, ess, [1, 2], "ru")
    # an exact one-to-one recode: the questionnaire's Russian label; code 2 has none
    assert labels == {1: "Да, конечно", 2: "No"}
    assert english == "2"

    approximate = {
        **BANK,
        "harmonisation": {"recodes": [{**RECODE, "exact": False}]},
    }
    plans, _ = plan_twins(approximate, [1, 2], hint="wvs7", language="ru")
    ess = next(plan for plan in plans if plan.target == "ess")
    labels, english = twin_labels(item, ess, [1, 2], "ru")
    assert labels == {1: "Yes", 2: "No"}
    assert english == "1, 2"
