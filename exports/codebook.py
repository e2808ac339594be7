"""The codebook that goes with every export, machine-readable and human-readable.

Four files beside the data (docs/methods.md 7.4, 7.5, 5.6 step 8):
- `datapackage.json`: a Frictionless Data Package v2; each field with its title (label),
  `categories` ({value, label}) and `missingValues` ({value, label}) objects;
- `<basename>_ddi.xml`: DDI-Codebook 2.5 (codeBook > stdyDscr, fileDscr, dataDscr/var with
  labl, qstn/qstnLit per language, catgry with missing="Y" for missing codes), built with lxml;
- `<basename>_codebook.md`: the human-readable codebook: per variable the wording per language,
  codes and labels, missing codes, harmonisation and notes; the cleaning rules, the sample's
  definition, the disclosure report, and every label a format made shorter, with its full text;
- `<basename>_disclosure.json`: the disclosure-risk report as assembly computed it.

Every heading and fixed note is English in the code, marked with gettext_noop, and written
through the Dataset's `translate`: the codebook speaks the export's language (locale/).
Django-free: it reads the Dataset, what the writer returned, and an ExportDescription.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from exports.dataset import Dataset, Translate, Variable, gettext_noop, untranslated
from exports.writers.base import Shortening, WrittenFiles

DDI_NAMESPACE = "ddi:codebook:2_5"
DDI_SCHEMA_LOCATION = (
    "ddi:codebook:2_5 http://www.ddialliance.org/Specification/DDI-Codebook/2.5/XMLSchema/"
    "codebook.xsd"
)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DATAPACKAGE_SCHEMA = "https://datapackage.org/profiles/2.0/datapackage.json"
MEDIA_TYPES = {
    "csv": "text/csv",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "parquet": "application/vnd.apache.parquet",
    "rds": "application/x-r-data",
}
RELEASE_LINKAGE_NOTE = gettext_noop(
    "Limit: two releases of the same people can always be joined on enough of their "
    "substantive answers (their content is the point of a release), whatever the pid; "
    "k-anonymity covers the quasi-identifiers only. The study's release log (the export "
    "audit: who received which variables when) and the data-use agreement handle this, "
    "not the files (docs/methods.md 6)."
)
CHOICE_NAMES_NOTE = gettext_noop(
    "Choices whose XLSForm names are numbers keep those numbers as codes (WVS and ESS codes "
    "are never renumbered); other choices are coded 1..n in SPSS, Stata and R, and the "
    "tables below map each code to its choice name; CSV and Parquet hold the names."
)
KIND_TITLES = {
    "name": gettext_noop("variable name"),
    "variable_label": gettext_noop("variable label"),
    "value_label": gettext_noop("value label"),
    "file_label": gettext_noop("file label"),
}
CODE_OF = gettext_noop("{what} of code {code}")
CODE_IN = gettext_noop("{what} (code {code})")
SHORTENED = gettext_noop("{format}: {what} shortened to {shortened}; full text: {original}")
HARMONISED_WITH = gettext_noop("harmonised with item-bank concept {concept}")
NOT_CHECKED = gettext_noop("not checked")
NO_CLEANING = gettext_noop("No cleaning rules applied.")
DISCLOSURE_JSON = gettext_noop("Disclosure-risk report (JSON)")
ITEM_NOTE = gettext_noop("item: {item}")
WAVE_NOTE = gettext_noop("wave: {wave}")
NONE = gettext_noop("None.")
ALL_FIT = gettext_noop("None: every label and name fits this format whole.")


@dataclass(frozen=True)
class ExportDescription:
    """What was asked for, as the codebook states it (no data values, no secrets)."""

    study: str
    format: str
    sample: str
    layout: str
    waves: tuple[str, ...]
    language: str
    k: int
    include_flagged: bool
    created_at: datetime
    export_id: int | None = None


def write_codebook(
    dataset: Dataset,
    written: WrittenFiles,
    about: ExportDescription,
    directory: Path,
    *,
    basename: str,
) -> list[Path]:
    names = file_names(dataset.variables, written.shortenings)
    files = [
        (directory / "datapackage.json", _json(datapackage(dataset, written, about, names))),
        (directory / f"{basename}_ddi.xml", ddi_codebook(dataset, written, about, names)),
        (directory / f"{basename}_codebook.md", markdown(dataset, written, about, names)),
        (directory / f"{basename}_disclosure.json", _json(dict(dataset.disclosure_report))),
    ]
    for path, content in files:
        path.write_text(content, encoding="utf-8")
    return [path for path, _ in files]


def file_names(variables: Iterable[Variable], shortenings: Iterable[Shortening]) -> dict[str, str]:
    """Dataset name -> the name in the data file (Stata may have shortened it)."""
    renamed = {s.variable: s.shortened for s in shortenings if s.kind == "name"}
    return {v.name: renamed.get(v.name, v.name) for v in variables}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n"


# -- Frictionless Data Package ------------------------------------------------------------


def datapackage(
    dataset: Dataset, written: WrittenFiles, about: ExportDescription, names: Mapping[str, str]
) -> dict[str, Any]:
    data = written.paths[0]
    return {
        "$schema": DATAPACKAGE_SCHEMA,
        "name": _package_name(about),
        "title": dataset.title,
        "created": about.created_at.isoformat(),
        "description": dataset.sample_definition,
        "panelwave_release_gate": _verdict(dataset),
        "resources": [
            {
                "name": "data",
                "path": data.name,
                "format": about.format,
                "mediatype": MEDIA_TYPES.get(about.format, "application/octet-stream"),
                "encoding": "utf-8",
                "type": "table",
                "schema": {
                    "fields": [
                        _field(
                            v,
                            names[v.name],
                            file_format=about.format,
                            keep_codes=dataset.keep_missing_codes,
                            translate=dataset.translate,
                        )
                        for v in dataset.variables
                    ]
                },
            },
            # Roster tables written beside the data (exports/repeats.py).
            *dataset.resources,
        ],
        "panelwave": {
            "export": _about(about),
            "rows": written.rows,
            "missing_scheme": {str(c): label for c, label in dataset.missing_scheme.items()},
            "cleaning_rules": dict(dataset.cleaning_rules),
            "disclosure_report": dict(dataset.disclosure_report),
            "notes": [*dataset.notes, *written.notes],
            "shortenings": [_shortening(s) for s in written.shortenings],
        },
    }


def _package_name(about: ExportDescription) -> str:
    suffix = f"-{about.export_id}" if about.export_id is not None else ""
    return f"{about.study}-{about.sample}-{about.layout}{suffix}".lower()


def _about(about: ExportDescription) -> dict[str, Any]:
    return {
        "id": about.export_id,
        "study": about.study,
        "format": about.format,
        "sample": about.sample,
        "layout": about.layout,
        "waves": list(about.waves),
        "language": about.language,
        "k": about.k,
        "include_flagged": about.include_flagged,
        "created_at": about.created_at.isoformat(),
    }


FIELD_TYPES = {
    "integer": "integer",
    "decimal": "number",
    "boolean": "boolean",
    "date": "date",
    "string": "string",
}
# Formats whose cells hold the choice names of choices that have them ("ge").
NAMED_FORMATS = ("csv", "parquet")


def _field(
    variable: Variable,
    name: str,
    *,
    file_format: str = "csv",
    keep_codes: bool = False,
    translate: Translate = untranslated,
) -> dict[str, Any]:
    named = bool(variable.choice_names) and file_format in NAMED_FORMATS
    field: dict[str, Any] = {
        "name": name,
        "title": variable.label,
        "type": "string" if named else FIELD_TYPES.get(variable.type, "number"),
    }
    if variable.type == "boolean":
        field["trueValues"], field["falseValues"] = ["1"], ["0"]
    if variable.value_labels:
        field["categories"] = [
            {"value": variable.choice_names.get(code, str(code)) if named else code, "label": label}
            for code, label in variable.value_labels.items()
        ]
    if variable.choice_names:
        field["panelwave_choice_names"] = {str(c): n for c, n in variable.choice_names.items()}
    reasons = [
        {"value": str(code), "label": label} for code, label in variable.missing_codes.items()
    ]
    if variable.kind == "string" or file_format not in NAMED_FORMATS or not keep_codes:
        # A missing answer is an empty cell here (its reason: panelwave_missing_codes).
        field["missingValues"] = [""]
        if reasons:
            field["panelwave_missing_codes"] = reasons
    else:
        field["missingValues"] = ["", *reasons]
    description = _description(variable, translate)
    if description:
        field["description"] = description
    return field


def _description(variable: Variable, translate: Translate) -> str:
    parts = [f"{lang}: {text}" for lang, text in variable.wording.items()]
    if variable.concept:
        parts.append(translate(HARMONISED_WITH).format(concept=variable.concept))
    parts.extend(variable.notes)
    return "; ".join(parts)


def _shortening(s: Shortening) -> dict[str, Any]:
    return {
        "format": s.format,
        "variable": s.variable,
        "kind": s.kind,
        "code": s.code,
        "original": s.original,
        "shortened": s.shortened,
    }


# -- DDI-Codebook 2.5 ---------------------------------------------------------------------


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, f"{{{DDI_NAMESPACE}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def ddi_codebook(
    dataset: Dataset, written: WrittenFiles, about: ExportDescription, names: Mapping[str, str]
) -> str:
    root = etree.Element(
        f"{{{DDI_NAMESPACE}}}codeBook",
        nsmap={None: DDI_NAMESPACE, "xsi": "http://www.w3.org/2001/XMLSchema-instance"},
        version="2.5",
    )
    root.set("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation", DDI_SCHEMA_LOCATION)
    t = dataset.translate
    _study(root, dataset, about)
    file_description = _el(root, "fileDscr", ID="F1")
    text = _el(file_description, "fileTxt")
    _el(text, "fileName", written.paths[0].name)
    dimensions = _el(text, "dimensns")
    _el(dimensions, "caseQnty", str(written.rows))
    _el(dimensions, "varQnty", str(len(dataset.variables)))
    _el(text, "fileType", about.format)
    for note in written.notes:
        _el(file_description, "notes", note)
    data = _el(root, "dataDscr")
    shortened = _by_variable(written.shortenings)
    for variable in dataset.variables:
        _var(data, variable, names[variable.name], shortened.get(variable.name, []), t)
    other = _el(root, "otherMat", type="disclosure-report")
    _el(other, "labl", t(DISCLOSURE_JSON))
    _el(other, "txt", json.dumps(dict(dataset.disclosure_report), ensure_ascii=False))
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml.decode("utf-8")


def _study(root: etree._Element, dataset: Dataset, about: ExportDescription) -> None:
    study = _el(root, "stdyDscr")
    citation = _el(study, "citation")
    titles = _el(citation, "titlStmt")
    _el(titles, "titl", dataset.title or about.study)
    _el(titles, "IDNo", _package_name(about))
    production = _el(citation, "prodStmt")
    _el(
        production,
        "prodDate",
        about.created_at.date().isoformat(),
        date=about.created_at.date().isoformat(),
    )
    method = _el(study, "method")
    collection = _el(method, "dataColl")
    _el(collection, "sampProc", dataset.sample_definition)
    rules = "; ".join(f"{name}: {_plain(rule)}" for name, rule in dataset.cleaning_rules.items())
    _el(collection, "cleanOps", rules or dataset.translate(NO_CLEANING))
    for note in dataset.notes:
        _el(method, "notes", note)


def _var(
    parent: etree._Element,
    variable: Variable,
    name: str,
    shortened: list[Shortening],
    t: Translate,
) -> None:
    var = _el(
        parent,
        "var",
        name=name,
        ID=f"V_{variable.name}",
        intrvl="contin" if variable.measure == "scale" else "discrete",
    )
    _el(var, "labl", variable.label)
    if variable.wording:
        question = _el(var, "qstn")
        for lang, text in variable.wording.items():
            literal = _el(question, "qstnLit", text)
            literal.set(XML_LANG, lang)
    for code, label in variable.value_labels.items():
        category = _el(var, "catgry")
        _el(category, "catValu", str(code))
        _el(category, "labl", label)
    for code, label in variable.missing_codes.items():
        category = _el(var, "catgry", missing="Y", missType=label)
        _el(category, "catValu", str(code))
        _el(category, "labl", label)
    if variable.concept:
        _el(var, "concept", variable.concept, vocab="panelwave-item-bank")
    _el(var, "varFormat", type="character" if variable.kind == "string" else "numeric")
    notes = [*variable.notes]
    if variable.item:
        notes.append(t(ITEM_NOTE).format(item=variable.item))
    if variable.wave:
        notes.append(t(WAVE_NOTE).format(wave=variable.wave))
    notes.extend(_shortening_text(s, t) for s in shortened)
    for note in notes:
        _el(var, "notes", note)


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    return str(value)


def _by_variable(shortenings: Iterable[Shortening]) -> dict[str, list[Shortening]]:
    result: dict[str, list[Shortening]] = {}
    for s in shortenings:
        result.setdefault(s.variable, []).append(s)
    return result


def _shortening_text(s: Shortening, t: Translate) -> str:
    what = t(KIND_TITLES[s.kind])
    if s.code is not None:
        what = t(CODE_OF).format(what=what, code=s.code)
    return t(SHORTENED).format(
        format=s.format, what=what, shortened=repr(s.shortened), original=repr(s.original)
    )


# -- Markdown ---------------------------------------------------------------------------


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def _cell(text: object) -> str:
    """A label as inert Markdown text: HTML and link syntax escaped, one line."""
    escaped = html.escape(str(text), quote=False).replace("\n", " ").replace("\r", " ")
    return MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


# The Markdown codebook's fixed texts (English here; the export's language in the file).
MD = {
    "title": gettext_noop("Codebook: {title}"),
    "restricted": gettext_noop("RESTRICTED release"),
    "study": gettext_noop("Study: {study}; export {export}"),
    "created": gettext_noop("Created: {created}"),
    "file": gettext_noop("File: {file} ({format}), {rows} rows, {variables} variables"),
    "waves": gettext_noop("Waves: {waves}"),
    "sample_line": gettext_noop("Sample: {sample}; layout: {layout}; labels in {language}"),
    "flagged_in": gettext_noop("Flagged responses: included"),
    "flagged_out": gettext_noop("Flagged responses: left out"),
    "k": gettext_noop("k-anonymity required: {k}"),
    "gate": gettext_noop("Release gate: {verdict}"),
    "sample": gettext_noop("Sample"),
    "cleaning": gettext_noop("Cleaning rules applied"),
    "missing": gettext_noop("Missing values"),
    "code": gettext_noop("code"),
    "meaning": gettext_noop("meaning"),
    "notes": gettext_noop("Notes"),
    "disclosure": gettext_noop("Disclosure control"),
    "shortened": gettext_noop("Labels and names shortened for this format"),
    "variables": gettext_noop("Variables"),
    "variable": gettext_noop("variable"),
    "what": gettext_noop("what"),
    "in_file": gettext_noop("in the file"),
    "full_text": gettext_noop("full text"),
    "dataset_name": gettext_noop("dataset name {name}"),
    "label": gettext_noop("Label: {label}"),
    "type": gettext_noop("Type: {type}, {measure}"),
    "item": gettext_noop("Item: {item}"),
    "wave": gettext_noop("Wave: {wave}"),
    "harmonisation": gettext_noop("Harmonisation: item-bank concept {concept}"),
    "wording": gettext_noop("Wording ({language}): {text}"),
    "note": gettext_noop("Note: {note}"),
    "choice_name": gettext_noop("choice name"),
    "value_label": gettext_noop("label"),
    "is_missing": gettext_noop("missing"),
    "yes": gettext_noop("yes"),
}


def markdown(
    dataset: Dataset, written: WrittenFiles, about: ExportDescription, names: Mapping[str, str]
) -> str:
    t = _Texts(dataset.translate)
    restricted = bool(dataset.disclosure_report.get("restricted"))
    export = about.export_id if about.export_id is not None else "-"
    lines = [
        "# "
        + t("title", title=dataset.title or about.study)
        + (f" ({t('restricted')})" if restricted else ""),
        "",
        "- " + t("study", study=f"`{about.study}`", export=export),
        "- " + t("created", created=about.created_at.isoformat()),
        "- "
        + t(
            "file",
            file=f"`{written.paths[0].name}`",
            format=about.format,
            rows=written.rows,
            variables=len(dataset.variables),
        ),
        "- " + t("waves", waves=", ".join(about.waves)),
        "- "
        + t(
            "sample_line",
            sample=about.sample,
            layout=about.layout,
            language=f"`{about.language}`",
        ),
        "- " + t("flagged_in" if about.include_flagged else "flagged_out"),
        "- " + t("k", k=about.k),
        "- " + t("gate", verdict=_verdict(dataset)),
        "",
        "## " + t("sample"),
        "",
        dataset.sample_definition,
        "",
        "## " + t("cleaning"),
        "",
        *(
            [f"- `{name}`: {_plain(rule)}" for name, rule in dataset.cleaning_rules.items()]
            or ["- " + dataset.translate(NONE)]
        ),
        "",
        "## " + t("missing"),
        "",
        f"| {t('code')} | {t('meaning')} |",
        "|---|---|",
        *(f"| {code} | {_cell(label)} |" for code, label in dataset.missing_scheme.items()),
        "",
        *(f"- {note}" for note in written.notes),
        "",
        "## " + t("notes"),
        "",
        *([f"- {_cell(note)}" for note in dataset.notes] or ["- " + dataset.translate(NONE)]),
        f"- {_cell(dataset.translate(RELEASE_LINKAGE_NOTE))}",
        f"- {_cell(dataset.translate(CHOICE_NAMES_NOTE))}",
        "",
        "## " + t("disclosure"),
        "",
        *([f"- {_cell(line)}" for line in dataset.verdict] or [_verdict(dataset)]),
        "",
        "```json",
        json.dumps(dict(dataset.disclosure_report), ensure_ascii=False, indent=2, default=str),
        "```",
        "",
        "## " + t("shortened"),
        "",
        *_shortening_table(written.shortenings, t),
        "",
        "## " + t("variables"),
        "",
    ]
    for variable in dataset.variables:
        lines.extend(_variable_section(variable, names[variable.name], t))
    return "\n".join(lines) + "\n"


class _Texts:
    """The Markdown codebook's fixed texts, translated and filled in."""

    def __init__(self, translate: Translate) -> None:
        self.translate = translate

    def __call__(self, key: str, **values: object) -> str:
        return self.translate(MD[key]).format(**values)


def _verdict(dataset: Dataset) -> str:
    gate = dataset.disclosure_report.get("release_gate") or {}
    if dataset.release_gate:
        return dataset.release_gate
    return str(gate.get("verdict") or dataset.translate(NOT_CHECKED))


def _shortening_table(shortenings: list[Shortening], t: _Texts) -> list[str]:
    if not shortenings:
        return [t.translate(ALL_FIT)]
    rows = [
        f"| {t('variable')} | {t('what')} | {t('in_file')} | {t('full_text')} |",
        "|---|---|---|---|",
    ]
    for s in shortenings:
        what = t.translate(KIND_TITLES[s.kind])
        if s.code is not None:
            what = t.translate(CODE_IN).format(what=what, code=s.code)
        rows.append(f"| `{s.variable}` | {what} | {_cell(s.shortened)} | {_cell(s.original)} |")
    return rows


def _variable_section(variable: Variable, name: str, t: _Texts) -> list[str]:
    heading = f"### `{name}`" + (
        f" ({t('dataset_name', name=f'`{variable.name}`')})" if name != variable.name else ""
    )
    lines = [heading, "", "- " + t("label", label=_cell(variable.label))]
    lines.append("- " + t("type", type=variable.type, measure=variable.measure))
    if variable.item:
        lines.append("- " + t("item", item=f"`{variable.item}`"))
    if variable.wave:
        lines.append("- " + t("wave", wave=variable.wave))
    if variable.concept:
        lines.append("- " + t("harmonisation", concept=f"`{variable.concept}`"))
    lines.extend(
        "- " + t("wording", language=lang, text=_cell(text))
        for lang, text in variable.wording.items()
    )
    lines.extend("- " + t("note", note=_cell(note)) for note in variable.notes)
    if variable.value_labels or variable.missing_codes:
        names = variable.choice_names
        lines += [
            "",
            f"| {t('code')} | {t('choice_name')} | {t('value_label')} | {t('is_missing')} |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {c} | {_cell(names.get(c, ''))} | {_cell(label)} | |"
            for c, label in variable.value_labels.items()
        ]
        lines += [
            f"| {c} | | {_cell(label)} | {t('yes')} |"
            for c, label in variable.missing_codes.items()
        ]
    lines.append("")
    return lines
