from __future__ import annotations

import json
from datetime import UTC, datetime

from lxml import etree  # type: ignore[import-untyped]

from exports.codebook import DDI_NAMESPACE, ExportDescription, write_codebook
from exports.writers.csv import write_csv
from exports.writers.stata import write_dta
from tests.exports.handmade import LONG_LABEL, LONG_NAME, TRUST_LABEL, make_dataset

NS = {"ddi": DDI_NAMESPACE}


def _about(fmt: str) -> ExportDescription:
    return ExportDescription(
        study="emigrants",
        format=fmt,
        sample="combined",
        layout="long",
        waves=("spring-2025", "autumn-2025"),
        language="ru",
        k=5,
        include_flagged=False,
        created_at=datetime(2025, 6, 1, 12, tzinfo=UTC),
        export_id=7,
    )


def test_write_codebook_writes_a_datapackage_with_categories_and_missing_values(tmp_path):
    dataset = make_dataset()
    written = write_csv(dataset, tmp_path, basename="data")

    paths = write_codebook(dataset, written, _about("csv"), tmp_path, basename="data")

    assert [p.name for p in paths] == [
        "datapackage.json",
        "data_ddi.xml",
        "data_codebook.md",
        "data_disclosure.json",
    ]
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    resource = package["resources"][0]
    trust = next(f for f in resource["schema"]["fields"] if f["name"] == "trust")
    assert resource["path"] == "data.csv"
    assert trust["title"] == TRUST_LABEL
    assert trust["categories"] == [
        {"value": 1, "label": "Можно доверять"},
        {"value": 2, "label": "Нужно быть осторожным"},
    ]
    # a missing answer is an empty cell; the codes' meanings are kept beside
    assert trust["missingValues"] == [""]
    reasons = trust["panelwave_missing_codes"]
    assert {"value": "-4", "label": "Not asked in this wave or version"} in reasons
    assert "harmonised with item-bank concept trust_people" in trust["description"]
    assert package["panelwave"]["export"]["waves"] == ["spring-2025", "autumn-2025"]
    assert json.loads((tmp_path / "data_disclosure.json").read_text())["k_reached"] == 5


def test_write_codebook_ddi_has_wording_per_language_and_missing_categories(tmp_path):
    dataset = make_dataset()
    written = write_csv(dataset, tmp_path, basename="data")

    write_codebook(dataset, written, _about("csv"), tmp_path, basename="data")
    root = etree.parse(str(tmp_path / "data_ddi.xml")).getroot()

    assert root.tag == f"{{{DDI_NAMESPACE}}}codeBook"
    assert root.findtext("ddi:stdyDscr/citation/titlStmt/titl", namespaces=NS) is None
    assert root.findtext("ddi:stdyDscr/ddi:citation/ddi:titlStmt/ddi:titl", namespaces=NS) == (
        "Панель эмигрантов 2025"
    )
    assert root.findtext("ddi:fileDscr/ddi:fileTxt/ddi:dimensns/ddi:caseQnty", namespaces=NS) == "5"
    trust = root.find("ddi:dataDscr/ddi:var[@name='trust']", namespaces=NS)
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    wording = {q.get(lang): q.text for q in trust.findall("ddi:qstn/ddi:qstnLit", namespaces=NS)}
    assert wording == {"ru": TRUST_LABEL, "en": "Can most people be trusted?"}
    missing = trust.findall("ddi:catgry[@missing='Y']/ddi:catValu", namespaces=NS)
    assert [m.text for m in missing] == ["-2", "-3", "-4", "-5"]
    sample = root.findtext("ddi:stdyDscr/ddi:method/ddi:dataColl/ddi:sampProc", namespaces=NS)
    assert sample.startswith("Combined: every completed response")


def test_write_codebook_lists_every_shortening_with_its_full_text(tmp_path):
    # given a Stata export, which shortens a long name and a long label
    dataset = make_dataset()
    written = write_dta(dataset, tmp_path, basename="data")

    write_codebook(dataset, written, _about("dta"), tmp_path, basename="data")

    text = (tmp_path / "data_codebook.md").read_text(encoding="utf-8")
    new_name = next(s.shortened for s in written.shortenings if s.kind == "name")
    assert f"### `{new_name}` (dataset name `{LONG_NAME}`)" in text
    assert LONG_LABEL.strip() in text
    assert "## Labels and names shortened for this format" in text
    assert "| `trust` |" not in text
    assert "`speeder`: description=RSI above 2.0, threshold=2.0" in text
    assert "-4 .d" in text
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert new_name in [f["name"] for f in package["resources"][0]["schema"]["fields"]]
    assert {s["kind"] for s in package["panelwave"]["shortenings"]} == {"name", "variable_label"}


def test_markdown_codebook_keeps_html_and_links_in_labels_as_text():
    from exports.codebook import _cell

    assert _cell("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert _cell("[click](javascript:alert(1))") == "\\[click\\](javascript:alert(1))"
