"""The JSON Schema of the native questionnaire format (surveys/formjson.py).

Django-free. The form, its pages and choice lists are described by hand in
surveys/data/questionnaire.schema.json; a question's part ($defs.question) is built here
from QuestionSpec (surveys/formspec.py), the one declaration of a question's fields: each
field's Python type gives its JSON type, and its metadata its description and any further
rule (an enum, a maximum length, a shared definition). A field added to QuestionSpec is
thus accepted in a file without anyone editing the schema.

`python -m surveys.formjson_schema` prints the whole schema, for authors of JSON files.
"""

from __future__ import annotations

import json
import sys
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, get_type_hints

from surveys.formspec import QUESTION_FIELDS, QuestionSpec

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "questionnaire.schema.json"

# The JSON type of each Python type a QuestionSpec field may have.
_JSON_TYPES: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    dict[str, str]: {"type": "object", "additionalProperties": {"type": "string"}},
}

ERROR_FIELD_TYPE = "QuestionSpec.{name} is a {type}, which has no JSON Schema type here"
ERROR_NO_DESCRIPTION = "QuestionSpec.{name} has no description (metadata=_about(...))"


def questionnaire_schema() -> dict[str, Any]:
    """The whole schema: the file's, with the question part derived from QuestionSpec."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["$defs"]["question"] = question_schema()
    return schema


def question_schema() -> dict[str, Any]:
    """$defs.question: one property per QuestionSpec field, in declaration order."""
    hints = get_type_hints(QuestionSpec)
    spec_fields = [f for f in fields(QuestionSpec) if f.name in QUESTION_FIELDS]
    return {
        "type": "object",
        "required": [
            f.name for f in spec_fields if f.default is MISSING and f.default_factory is MISSING
        ],
        "additionalProperties": False,
        "properties": {
            f.name: _property(f.name, hints[f.name], dict(f.metadata)) for f in spec_fields
        },
    }


def _property(name: str, python_type: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    if "description" not in metadata:
        raise TypeError(ERROR_NO_DESCRIPTION.format(name=name))
    rules = dict(metadata.get("schema", {}))
    described: dict[str, Any] = {"description": metadata["description"]}
    if "ref" in rules:
        # A shared definition ($defs.texts, ...) says the type itself.
        return described | {"$ref": f"#/$defs/{rules.pop('ref')}"} | rules
    if "enum" in rules:
        return described | {"enum": list(rules.pop("enum"))} | rules
    if python_type not in _JSON_TYPES:
        raise TypeError(ERROR_FIELD_TYPE.format(name=name, type=python_type))
    return described | _JSON_TYPES[python_type] | rules


if __name__ == "__main__":
    sys.stdout.write(json.dumps(questionnaire_schema(), ensure_ascii=False, indent=2) + "\n")
