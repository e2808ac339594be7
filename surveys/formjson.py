"""The native JSON questionnaire format, described by a JSON Schema (surveys/formjson_schema.py).

Django-free. The JSON is the internal schema (surveys/formspec.py) written out field by
field, so nothing is lost: read_json(write_json(form)) == form. A file is checked against
the JSON Schema first (the message names the JSON path of the first problem), then by the
same rules as an XLSForm (formspec.check_form).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surveys.formjson_schema import questionnaire_schema
from surveys.formspec import (
    QUESTION_ATTRIBUTES,
    ChoiceListSpec,
    ChoiceSpec,
    FormSpec,
    MetadataField,
    PageSpec,
    QuestionSpec,
    check_form,
    form_error,
    groups_from_stored,
    section_from_dict,
)
from surveys.repeats import repeat_from_dict

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

FORMAT = "panelwave-questionnaire"
FORMAT_VERSION = 1

ERROR_NOT_JSON = "not valid JSON (line {line}, column {column}: {problem})"
ERROR_SCHEMA = "at {path}: {problem}"
ERROR_NOT_UTF8 = "not UTF-8 text (byte {position})"
ERROR_TOO_DEEP = "not a questionnaire: the JSON is nested too deeply"


@cache
def _validator() -> Draft202012Validator:
    # Imported here: jsonschema (and what it loads) would otherwise weigh on every command's
    # start, since admin and services import this module for form_to_dict.
    from jsonschema import Draft202012Validator  # noqa: PLC0415 (heavy: loaded on use)

    return Draft202012Validator(questionnaire_schema())


def read_json(path: Path) -> FormSpec:
    """Read and check a native JSON questionnaire; raises FormError naming file and path."""
    source = path.name
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise form_error(source, ERROR_NOT_UTF8.format(position=exc.start)) from exc
    except json.JSONDecodeError as exc:
        problem = ERROR_NOT_JSON.format(line=exc.lineno, column=exc.colno, problem=exc.msg)
        raise form_error(source, problem) from exc
    except RecursionError as exc:
        raise form_error(source, ERROR_TOO_DEEP) from exc
    form = form_from_dict(document, source)
    check_form(form, source)
    return form


def form_from_dict(document: Any, source: str) -> FormSpec:
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        path = "$" + "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in first.absolute_path
        )
        raise form_error(source, ERROR_SCHEMA.format(path=path, problem=first.message))
    return FormSpec(
        languages=tuple(document["languages"]),
        source_language=document["source_language"],
        title=dict(document.get("title", {})),
        language_names=dict(document.get("language_names", {})),
        settings=dict(document.get("settings", {})),
        metadata_fields=tuple(
            MetadataField(name=m["name"], type=m["type"])
            for m in document.get("metadata_fields", [])
        ),
        choice_lists=tuple(_choice_list(c) for c in document.get("choice_lists", [])),
        pages=tuple(_page(p) for p in document["pages"]),
    )


def _choice_list(data: dict[str, Any]) -> ChoiceListSpec:
    return ChoiceListSpec(
        name=data["name"],
        choices=tuple(
            ChoiceSpec(
                name=c["name"],
                code=c["code"],
                labels=dict(c.get("labels", {})),
                extra=dict(c.get("extra", {})),
                variants=tuple(dict(v) for v in c.get("variants", [])),
            )
            for c in data["choices"]
        ),
    )


def _page(data: dict[str, Any]) -> PageSpec:
    return PageSpec(
        name=data["name"],
        labels=dict(data.get("labels", {})),
        relevant=data.get("relevant", ""),
        appearance=data.get("appearance", ""),
        sections=tuple(section_from_dict(s) for s in data.get("sections", [])),
        repeat=repeat_from_dict(data.get("repeat")),
        # `group` (one section) is how files written before groups nested hold it.
        groups=groups_from_stored(data.get("groups", data.get("group"))),
        questions=tuple(
            QuestionSpec(
                name=q["name"],
                type=q["type"],
                **{key: q[key] for key in QUESTION_ATTRIBUTES if key in q},
            )
            for q in data["questions"]
        ),
    )


def form_to_dict(form: FormSpec) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "title": form.title,
        "languages": list(form.languages),
        "language_names": form.language_names,
        "source_language": form.source_language,
        "settings": form.settings,
        "metadata_fields": [{"name": m.name, "type": m.type} for m in form.metadata_fields],
        "choice_lists": [
            {
                "name": cl.name,
                "choices": [
                    {
                        "name": c.name,
                        "code": c.code,
                        "labels": c.labels,
                        "extra": c.extra,
                        **({"variants": list(c.variants)} if c.variants else {}),
                    }
                    for c in cl.choices
                ],
            }
            for cl in form.choice_lists
        ],
        "pages": [
            {
                "name": page.name,
                "labels": page.labels,
                "relevant": page.relevant,
                "appearance": page.appearance,
                "sections": [s.as_dict() for s in page.sections],
                # Only on roster pages, so the content hash of other forms is unchanged.
                **({"repeat": page.repeat.as_dict()} if page.repeat is not None else {}),
                **({"groups": [g.as_dict() for g in page.groups]} if page.groups else {}),
                "questions": [
                    {"name": q.name, "type": q.type}
                    | {key: getattr(q, key) for key in QUESTION_ATTRIBUTES}
                    for q in page.questions
                ],
            }
            for page in form.pages
        ],
    }


def write_json(form: FormSpec, path: Path) -> None:
    text = json.dumps(form_to_dict(form), ensure_ascii=False, indent=2)
    path.write_text(text + "\n", encoding="utf-8")
