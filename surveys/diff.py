"""What changed between two versions of a questionnaire, item by item.

Django-free. An item's name is its identity across versions (the variable name in every
wave's export), so items are matched by name: new names are added, missing names removed,
and for the names in both every field is compared (wording per language, hints, messages,
choices, logic, appearance, privacy, harmonisation). A changed type under the same name
would silently merge two different variables across waves, so it is refused
(ItemTypeChangedError): the new item needs a new name.

Pages (XLSForm groups) are compared too, by name: their labels, `relevant` and
appearance; and the form as a whole: its languages, source language, title and metadata
fields (paradata). A page made for one question outside any group is the question's own
and is not listed as a page.

Two warnings help keep a panel comparable:
- a stale translation: the source-language wording of a text (a label, hint, required or
  constraint message, a choice's label, a page's label) changed but the wording in another
  language did not, so that translation probably still says the old thing;
- drift from the item bank: a harmonised item (the `harmonise` column) whose English
  wording (the bare `label` column of a form without languages counts as English) is
  neither the WVS-7 nor the ESS reference question, whose choice codes are neither
  reference scale (codes are what the WVS/ESS-coded twin is built from; the survey's
  missing codes such as WVS -1 "don't know" belong to its scale), or whose choice labels
  differ from the reference categories' labels for the same codes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from surveys.formspec import (
    DEFAULT_LANGUAGE,
    QUESTION_ATTRIBUTES,
    TRANSLATED_QUESTION_FIELDS,
    ChoiceListSpec,
    FormSpec,
    PageSpec,
    QuestionSpec,
)
from surveys.itembank import ConceptReference

ERROR_TYPE_CHANGED = (
    "item {name!r} changed type from {old} to {new}; an item's name is its identity "
    "across versions, so give the new item a new name"
)
WARNING_STALE = (
    "{where} {name!r}: the {language} {text} did not change although the {source} {text} did"
)
WARNING_CATEGORY_LABEL = (
    "item {name!r} (harmonised as {key!r}): the English label of choice code {code} differs "
    "from the {surveys} category label"
)
WARNING_WORDING = (
    "item {name!r} (harmonised as {key!r}): English wording differs from the {surveys} reference"
)
WARNING_SCALE = "item {name!r} (harmonised as {key!r}): choice codes {codes} match no reference scale ({surveys})"
WARNING_UNKNOWN_CONCEPT = "item {name!r}: {key!r} is not a concept of the item bank"

_TRANSLATED_FIELDS = TRANSLATED_QUESTION_FIELDS
# How a warning names a translated text: its field name in words, singular.
_TEXT_NAMES = {"labels": "label", "hints": "hint"}
_PAGE_FIELDS = ("relevant", "appearance")
_FORM_FIELDS = ("languages", "source_language", "title", "metadata_fields")
# The other fields compared as they are; the choice list is compared choice by choice.
_PLAIN_FIELDS = tuple(
    name
    for name in QUESTION_ATTRIBUTES
    if name not in TRANSLATED_QUESTION_FIELDS and name != "choice_list"
)


class ItemTypeChangedError(ValueError):
    """The same item name has another type in the new version."""


@dataclass(frozen=True)
class FieldChange:
    # "labels.en", "choices.2.labels.ru", "relevant", "page", ...
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class ItemChange:
    name: str
    changes: tuple[FieldChange, ...]
    # The translated texts whose source wording changed but they did not: "labels.ru",
    # "hints.ru", "choices.2.labels.ru", ...
    stale_translations: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    pages_added: tuple[str, ...] = ()
    pages_removed: tuple[str, ...] = ()
    pages_changed: tuple[ItemChange, ...] = ()
    # languages, source_language, title.<language>, metadata_fields.
    form_changes: tuple[FieldChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.pages_added
            or self.pages_removed
            or self.pages_changed
            or self.form_changes
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [_change_dict(item) for item in self.changed],
            "pages": {
                "added": list(self.pages_added),
                "removed": list(self.pages_removed),
                "changed": [_change_dict(page) for page in self.pages_changed],
            },
            "form": [{"field": c.field, "old": c.old, "new": c.new} for c in self.form_changes],
            "warnings": list(self.warnings),
        }


def _change_dict(item: ItemChange) -> dict[str, object]:
    return {
        "name": item.name,
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in item.changes],
        "stale_translations": list(item.stale_translations),
    }


@dataclass(frozen=True)
class _Stale:
    path: str  # "labels.ru", "choices.2.labels.ru"
    language: str
    text: str  # "label", "label of choice '2'"


def diff_forms(
    old: FormSpec,
    new: FormSpec,
    *,
    item_bank: Mapping[str, ConceptReference] | None = None,
) -> VersionDiff:
    """Compare two versions; raises ItemTypeChangedError on a type change under one name."""
    old_items = {q.name: q for q in old.questions()}
    new_items = {q.name: q for q in new.questions()}
    old_pages = _page_of(old)
    new_pages = _page_of(new)
    changed: list[ItemChange] = []
    warnings: list[str] = []
    for name, item in new_items.items():
        before = old_items.get(name)
        if before is None:
            continue
        if before.type != item.type:
            raise ItemTypeChangedError(
                ERROR_TYPE_CHANGED.format(name=name, old=before.type, new=item.type)
            )
        changes = _field_changes(before, item, old, new)
        if old_pages[name] != new_pages[name]:
            changes.append(FieldChange("page", old_pages[name], new_pages[name]))
        if changes:
            stale = _stale_item(before, item, old, new)
            changed.append(ItemChange(name, tuple(changes), tuple(s.path for s in stale)))
            warnings += _stale_warnings("item", name, stale, new.source_language)
    pages = _page_changes(old, new)
    for page in pages.changed:
        stale = [_Stale(path, path.split(".")[-1], "label") for path in page.stale_translations]
        warnings += _stale_warnings("page", page.name, stale, new.source_language)
    if item_bank is not None:
        warnings += harmonisation_warnings(new, item_bank)
    return VersionDiff(
        added=tuple(n for n in new_items if n not in old_items),
        removed=tuple(n for n in old_items if n not in new_items),
        changed=tuple(changed),
        warnings=tuple(warnings),
        pages_added=pages.added,
        pages_removed=pages.removed,
        pages_changed=pages.changed,
        form_changes=tuple(_form_changes(old, new)),
    )


@dataclass(frozen=True)
class _PageChanges:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[ItemChange, ...]


def _page_changes(old: FormSpec, new: FormSpec) -> _PageChanges:
    before = {p.name: p for p in old.pages if not p.is_implicit}
    after = {p.name: p for p in new.pages if not p.is_implicit}
    changed = []
    for name, page in after.items():
        previous = before.get(name)
        if previous is None:
            continue
        changes = _text_changes("labels", previous.labels, page.labels)
        changes += [
            FieldChange(f, getattr(previous, f), getattr(page, f))
            for f in _PAGE_FIELDS
            if getattr(previous, f) != getattr(page, f)
        ]
        if previous.repeat != page.repeat:
            # A page became or stopped being a roster, or its count rule changed.
            changes.append(FieldChange("repeat", _repeat_value(previous), _repeat_value(page)))
        if changes:
            stale = _stale_texts("labels", previous.labels, page.labels, new.source_language)
            changed.append(ItemChange(name, tuple(changes), tuple(s.path for s in stale)))
    return _PageChanges(
        added=tuple(n for n in after if n not in before),
        removed=tuple(n for n in before if n not in after),
        changed=tuple(changed),
    )


def _repeat_value(page: PageSpec) -> dict[str, object] | None:
    return page.repeat.as_dict() if page.repeat is not None else None


def _form_changes(old: FormSpec, new: FormSpec) -> list[FieldChange]:
    changes = []
    if old.languages != new.languages:
        changes.append(FieldChange("languages", list(old.languages), list(new.languages)))
    if old.source_language != new.source_language:
        changes.append(FieldChange("source_language", old.source_language, new.source_language))
    changes += _text_changes("title", old.title, new.title)
    before = [{"name": m.name, "type": m.type} for m in old.metadata_fields]
    after = [{"name": m.name, "type": m.type} for m in new.metadata_fields]
    if before != after:
        changes.append(FieldChange("metadata_fields", before, after))
    return changes


def _page_of(form: FormSpec) -> dict[str, str]:
    return {q.name: page.name for page in form.pages for q in page.questions}


def _field_changes(
    old: QuestionSpec, new: QuestionSpec, old_form: FormSpec, new_form: FormSpec
) -> list[FieldChange]:
    changes = []
    for name in _TRANSLATED_FIELDS:
        changes += _text_changes(name, getattr(old, name), getattr(new, name))
    changes += [
        FieldChange(name, getattr(old, name), getattr(new, name))
        for name in _PLAIN_FIELDS
        if getattr(old, name) != getattr(new, name)
    ]
    changes += _choice_changes(
        old_form.choice_list(old.choice_list), new_form.choice_list(new.choice_list)
    )
    return changes


def _choice_changes(old: ChoiceListSpec | None, new: ChoiceListSpec | None) -> list[FieldChange]:
    before = {c.name: c for c in old.choices} if old else {}
    after = {c.name: c for c in new.choices} if new else {}
    changes = []
    for name in dict.fromkeys([*before, *after]):
        a, b = before.get(name), after.get(name)
        if a is None or b is None:
            changes.append(
                FieldChange(f"choices.{name}", a.labels if a else None, b.labels if b else None)
            )
            continue
        if a.code != b.code:
            changes.append(FieldChange(f"choices.{name}.code", a.code, b.code))
        changes += _text_changes(f"choices.{name}.labels", a.labels, b.labels)
    order_before = [n for n in before if n in after]
    order_after = [n for n in after if n in before]
    if order_before != order_after:
        changes.append(FieldChange("choices.order", order_before, order_after))
    return changes


def _text_changes(prefix: str, before: dict[str, str], after: dict[str, str]) -> list[FieldChange]:
    return [
        FieldChange(f"{prefix}.{language}", before.get(language), after.get(language))
        for language in dict.fromkeys([*before, *after])
        if before.get(language, "") != after.get(language, "")
    ]


def _stale_item(
    old: QuestionSpec, new: QuestionSpec, old_form: FormSpec, new_form: FormSpec
) -> list[_Stale]:
    """Every translated text of the item (its own and its choices') left stale."""
    source = new_form.source_language
    stale = []
    for name in _TRANSLATED_FIELDS:
        stale += _stale_texts(name, getattr(old, name), getattr(new, name), source)
    old_list = old_form.choice_list(old.choice_list)
    new_list = new_form.choice_list(new.choice_list)
    before = {c.name: c for c in old_list.choices} if old_list else {}
    for choice in new_list.choices if new_list else ():
        previous = before.get(choice.name)
        if previous is not None:
            stale += _stale_texts(
                f"choices.{choice.name}.labels",
                previous.labels,
                choice.labels,
                source,
                text=f"label of choice {choice.name!r}",
            )
    return stale


def _stale_texts(
    prefix: str, before: dict[str, str], after: dict[str, str], source: str, *, text: str = ""
) -> list[_Stale]:
    if before.get(source, "") == after.get(source, ""):
        return []
    return [
        _Stale(
            f"{prefix}.{language}",
            language,
            text or _TEXT_NAMES.get(prefix, prefix.replace("_", " ")),
        )
        for language, wording in after.items()
        if language != source and wording and before.get(language) == wording
    ]


def _stale_warnings(where: str, name: str, stale: list[_Stale], source: str) -> list[str]:
    return [
        WARNING_STALE.format(
            where=where, name=name, language=s.language, source=source, text=s.text
        )
        for s in stale
    ]


def harmonisation_warnings(form: FormSpec, item_bank: Mapping[str, ConceptReference]) -> list[str]:
    """Harmonised items whose English wording, choice codes or choice labels left the
    reference."""
    warnings = []
    for item in form.questions():
        if not item.harmonise:
            continue
        reference = item_bank.get(item.harmonise)
        if reference is None:
            warnings.append(WARNING_UNKNOWN_CONCEPT.format(name=item.name, key=item.harmonise))
            continue
        warnings += _wording_warnings(item, _english(item.labels, form), reference)
        choice_list = form.choice_list(item.choice_list)
        if choice_list is not None and reference.scales:
            warnings += _scale_warnings(item, choice_list, form, reference)
    return warnings


def _english(texts: dict[str, str], form: FormSpec) -> str:
    """The English text; a form without language columns (only the bare `label`, language
    "default") is taken to be written in English, the item bank's language."""
    if "en" in texts:
        return texts["en"]
    if "en" not in form.languages:
        return texts.get(DEFAULT_LANGUAGE, "")
    return ""


def _wording_warnings(item: QuestionSpec, english: str, reference: ConceptReference) -> list[str]:
    wordings = {_normal(w) for w in reference.wordings.values()}
    if not english or not wordings or _normal(english) in wordings:
        return []
    surveys = ", ".join(sorted(reference.wordings))
    return [WARNING_WORDING.format(name=item.name, key=item.harmonise, surveys=surveys)]


def _scale_warnings(
    item: QuestionSpec, choice_list: ChoiceListSpec, form: FormSpec, reference: ConceptReference
) -> list[str]:
    choices = [c for c in choice_list.choices if c.name != item.other_choice]
    codes = frozenset(c.code for c in choices)
    # A survey's scale includes its missing codes (WVS -1 "don't know", ESS 77 "refusal").
    matching = [
        survey
        for survey, scale in sorted(reference.scales.items())
        if codes <= scale | reference.missing_codes.get(survey, frozenset())
    ]
    if not matching:
        return [
            WARNING_SCALE.format(
                name=item.name,
                key=item.harmonise,
                codes=sorted(codes),
                surveys=", ".join(sorted(reference.scales)),
            )
        ]
    warnings = []
    for choice in choices:
        english = _english(choice.labels, form)
        # The surveys whose scale fits and which label this code (ESS labels endpoints only).
        labelled = {
            survey: reference.category_labels[survey][choice.code]
            for survey in matching
            if choice.code in reference.category_labels.get(survey, {})
        }
        expected = {_normal(label) for label in labelled.values()}
        if english and expected and _normal(english) not in expected:
            surveys = ", ".join(labelled)
            warnings.append(
                WARNING_CATEGORY_LABEL.format(
                    name=item.name, key=item.harmonise, code=choice.code, surveys=surveys
                )
            )
    return warnings


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()
