"""What changed between two versions of a questionnaire, item by item.

Django-free. An item's name is its identity across versions (the variable name in every
wave's export), so items are matched by name: new names are added, missing names removed,
and for the names in both every field is compared (wording per language, hints, messages,
choices, logic, appearance, privacy, harmonisation). A changed type under the same name
would silently merge two different variables across waves, so it is refused
(ItemTypeChangedError): the new item needs a new name.

Two warnings help keep a panel comparable:
- a stale translation: the source-language wording of a label changed but the wording in
  another language did not, so that translation probably still says the old thing;
- drift from the item bank: a harmonised item (the `harmonise` column) whose English
  wording is neither the WVS-7 nor the ESS reference question, or whose choice codes are
  neither reference scale (codes are what the WVS/ESS-coded twin is built from).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from surveys.formspec import ChoiceListSpec, FormSpec, QuestionSpec
from surveys.itembank import ConceptReference

ERROR_TYPE_CHANGED = (
    "item {name!r} changed type from {old} to {new}; an item's name is its identity "
    "across versions, so give the new item a new name"
)
WARNING_STALE = "item {name!r}: the {language} label did not change although the {source} label did"
WARNING_WORDING = (
    "item {name!r} (harmonised as {key!r}): English wording differs from the {surveys} reference"
)
WARNING_SCALE = "item {name!r} (harmonised as {key!r}): choice codes {codes} match no reference scale ({surveys})"
WARNING_UNKNOWN_CONCEPT = "item {name!r}: {key!r} is not a concept of the item bank"

_TRANSLATED_FIELDS = ("labels", "hints", "required_message", "constraint_message")
_PLAIN_FIELDS = (
    "required",
    "relevant",
    "constraint",
    "appearance",
    "other_choice",
    "privacy",
    "harmonise",
    "attention_expected",
    "extra",
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
    stale_translations: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [
                {
                    "name": item.name,
                    "changes": [
                        {"field": c.field, "old": c.old, "new": c.new} for c in item.changes
                    ],
                    "stale_translations": list(item.stale_translations),
                }
                for item in self.changed
            ],
            "warnings": list(self.warnings),
        }


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
    changed = []
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
            stale = _stale_translations(before, item, new.source_language)
            changed.append(ItemChange(name, tuple(changes), stale))
    warnings = [
        WARNING_STALE.format(name=item.name, language=language, source=new.source_language)
        for item in changed
        for language in item.stale_translations
    ]
    if item_bank is not None:
        warnings += harmonisation_warnings(new, item_bank)
    return VersionDiff(
        added=tuple(n for n in new_items if n not in old_items),
        removed=tuple(n for n in old_items if n not in new_items),
        changed=tuple(changed),
        warnings=tuple(warnings),
    )


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


def _stale_translations(old: QuestionSpec, new: QuestionSpec, source: str) -> tuple[str, ...]:
    if old.labels.get(source, "") == new.labels.get(source, ""):
        return ()
    return tuple(
        language
        for language, text in new.labels.items()
        if language != source and text and old.labels.get(language) == text
    )


def harmonisation_warnings(form: FormSpec, item_bank: Mapping[str, ConceptReference]) -> list[str]:
    """Harmonised items whose English wording or choice codes left the reference."""
    warnings = []
    for item in form.questions():
        if not item.harmonise:
            continue
        reference = item_bank.get(item.harmonise)
        if reference is None:
            warnings.append(WARNING_UNKNOWN_CONCEPT.format(name=item.name, key=item.harmonise))
            continue
        surveys = ", ".join(sorted(reference.wordings)) or "none"
        english = item.labels.get("en")
        if (
            english
            and reference.wordings
            and _normal(english) not in {_normal(w) for w in reference.wordings.values()}
        ):
            warnings.append(
                WARNING_WORDING.format(name=item.name, key=item.harmonise, surveys=surveys)
            )
        choice_list = form.choice_list(item.choice_list)
        if choice_list is not None and reference.scales:
            codes = frozenset(c.code for c in choice_list.choices if c.name != item.other_choice)
            if not any(codes <= scale for scale in reference.scales.values()):
                warnings.append(
                    WARNING_SCALE.format(
                        name=item.name,
                        key=item.harmonise,
                        codes=sorted(codes),
                        surveys=", ".join(sorted(reference.scales)),
                    )
                )
    return warnings


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()
