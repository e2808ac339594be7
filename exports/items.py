"""The export's item catalogue: items of the chosen waves' versions merged by name.

Rules: waves fielded on different versions merge by item name, never silently:
an item's wording or choices that differ between versions are named in the codebook notes;
items marked `identifier` never leave the database; `note` items carry no data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop

from exports.texts import translate_to
from respondents.services.form_schema import load_form
from respondents.services.markup import piped_keys, placeholders
from surveys.formspec import group_of, groups_from_stored
from surveys.models import (
    Choice,
    ItemBankConcept,
    PrivacyClass,
    Question,
    QuestionnaireVersion,
    QuestionType,
)

# Strictest wins when versions disagree on an item's privacy class.
WORDING_CHANGED = gettext_noop("wording changed between versions ({wording})")
CHOICES_CHANGED = gettext_noop("choices or their labels changed between versions")
PIPED_LABEL = gettext_noop(
    "{placeholders} in the label: the answer to that item, which the form showed in its "
    "place (an export has no one answer to show)"
)
PRIVACY_RANK = {
    PrivacyClass.ORDINARY: 0,
    PrivacyClass.SENSITIVE: 1,
    PrivacyClass.QUASI: 2,
    PrivacyClass.IDENTIFIER: 3,
}


@dataclass(frozen=True)
class ChoiceDef:
    name: str
    code: int
    labels: Mapping[str, str]


@dataclass(frozen=True)
class ItemVersion:
    version_id: int
    type: str
    labels: Mapping[str, str]
    # The item's own or its page's `relevant`: empty when always shown.
    relevant: str
    choices: tuple[ChoiceDef, ...]
    other_choice: str
    harmonise: str
    extra: Mapping[str, Any]
    # Where the form puts the item when its name repeats across groups (the export name is
    # then derived from this path): "household/head/age"; "" otherwise.
    form_path: str = ""

    def code_of(self) -> dict[str, int]:
        return {choice.name: choice.code for choice in self.choices}

    @cached_property
    def code_lookup(self) -> tuple[pd.Index, np.ndarray]:
        """Choice names as an index and their codes as floats, in the same order: a whole
        column of answers is coded with one hash lookup (Index.get_indexer)."""
        names = pd.Index([choice.name for choice in self.choices], dtype=object)
        return names, np.array([float(choice.code) for choice in self.choices])


@dataclass
class Item:
    name: str
    type: str
    privacy: str
    # Version id -> the item as that version asks it.
    versions: dict[int, ItemVersion] = field(default_factory=dict)

    @property
    def latest(self) -> ItemVersion:
        return self.versions[max(self.versions)]

    @property
    def has_other(self) -> bool:
        return any(v.other_choice for v in self.versions.values())

    @property
    def concept(self) -> str:
        return next((v.harmonise for v in reversed(self.versions.values()) if v.harmonise), "")

    def value_labels(self, language: str) -> dict[int, str]:
        labels: dict[int, str] = {}
        for version_id in sorted(self.versions):
            for choice in self.versions[version_id].choices:
                labels[choice.code] = label_in(choice.labels, language) or choice.name
        return labels

    def choice_names(self) -> dict[int, str]:
        """Code -> XLSForm choice name, when some name is not its own code ("ge");
        empty when every name is its code (WVS and ESS codes are never renumbered)."""
        names = {c.code: c.name for v in self.versions.values() for c in v.choices}
        if all(name.lstrip("-").isdigit() and int(name) == code for code, name in names.items()):
            return {}
        return names

    def options(self) -> list[ChoiceDef]:
        """select_multiple options over all versions, by code, latest labels."""
        by_code: dict[int, ChoiceDef] = {}
        for version_id in sorted(self.versions):
            for choice in self.versions[version_id].choices:
                by_code[choice.code] = choice
        return [by_code[code] for code in sorted(by_code)]

    def change_notes(self, language: str, version_numbers: Mapping[int, int]) -> list[str]:
        versions = [self.versions[v] for v in sorted(self.versions)]
        notes = []
        if len({tuple(sorted(v.labels.items())) for v in versions}) > 1:
            wording = "; ".join(
                f"v{version_numbers[v.version_id]}: {pick(v.labels, language)!r}" for v in versions
            )
            notes.append(translate_to(language, WORDING_CHANGED).format(wording=wording))
        choice_sets = {
            tuple((c.name, c.code, tuple(sorted(c.labels.items()))) for c in v.choices)
            for v in versions
        }
        if len(choice_sets) > 1:
            notes.append(translate_to(language, CHOICES_CHANGED))
        paths = sorted({v.form_path for v in versions if v.form_path})
        if paths:
            notes.append(
                "named in the form by its group path "
                + ", ".join(paths)
                + " (the name repeats across groups, so this export name joins the groups)"
            )
        # `${x}` in the wording reads "[x]" in the export's labels (label_in); say why.
        piped = piped_keys(pick(versions[-1].labels, language))
        if piped:
            found = ", ".join(f"[{key}]" for key in piped)
            notes.append(translate_to(language, PIPED_LABEL).format(placeholders=found))
        if len({v.type for v in versions}) > 1:
            notes.append(
                "question type changed between versions: "
                + ", ".join(f"v{version_numbers[v.version_id]} {v.type}" for v in versions)
            )
        return notes


def pick(labels: Mapping[str, str], language: str) -> str:
    """The label in `language`, else English, else any."""
    return labels.get(language) or labels.get("en") or next(iter(labels.values()), "")


def label_in(labels: Mapping[str, str], language: str) -> str:
    """pick's label as an export shows it: a piped answer (`${x}`) as the placeholder `[x]`."""
    return placeholders(pick(labels, language))


def load_items(version_ids: Iterable[int]) -> list[Item]:
    """Items of the versions in first-asked order (version order, then position)."""
    ids = sorted(set(version_ids))
    choices: dict[int, list[ChoiceDef]] = {}
    for list_id, name, code, labels in (
        Choice.objects.filter(choice_list__version_id__in=ids)
        .order_by("choice_list_id", "position")
        .values_list("choice_list_id", "name", "code", "labels")
    ):
        choices.setdefault(list_id, []).append(ChoiceDef(name=name, code=code, labels=labels))
    items: dict[str, Item] = {}
    questions = (
        Question.objects.filter(version_id__in=ids)
        .exclude(type=QuestionType.NOTE)
        .select_related("page")
        .order_by("version_id", "position")
    )
    conditions = _resolved_conditions(ids)
    for question in questions:
        item = items.setdefault(
            question.name, Item(name=question.name, type=question.type, privacy=question.privacy)
        )
        item.type = question.type
        if PRIVACY_RANK[PrivacyClass(question.privacy)] > PRIVACY_RANK[PrivacyClass(item.privacy)]:
            item.privacy = question.privacy
        item.versions[question.version_id] = ItemVersion(
            version_id=question.version_id,
            type=question.type,
            labels=question.labels,
            # Parenthesised: a condition with `or` must not bind to its neighbour's `and`.
            relevant=" and ".join(
                f"({e})"
                for e in conditions.get(
                    (question.version_id, question.name),
                    (question.page.relevant, question.relevant),
                )
                if e.strip()
            ),
            choices=tuple(choices.get(question.choice_list_id or 0, ())),
            other_choice=question.other_choice,
            harmonise=question.harmonise,
            extra=question.extra,
            form_path=_form_path(question),
        )
    return list(items.values())


def _resolved_conditions(version_ids: list[int]) -> dict[tuple[int, str], tuple[str, ...]]:
    """Per (version, item): the `relevant` of its page, of the groups around it and its
    own, with references resolved to export names as the respondent form evaluates them
    (ODK paths, names repeated across groups)."""
    found: dict[tuple[int, str], tuple[str, ...]] = {}
    for version in QuestionnaireVersion.objects.filter(pk__in=version_ids):
        for page in load_form(version).pages:
            for question in page.questions:
                found[(version.pk, question.name)] = (
                    page.relevant,
                    *question.conditions,
                    question.relevant,
                )
    return found


def _form_path(question: Question) -> str:
    if not question.written_name:
        return ""
    # A roster inside groups is written inside them: its path starts with theirs.
    around = [group.path for group in groups_from_stored(question.page.group)[-1:]]
    page = group_of(question.page.name)
    groups = [*around, page, *(question.section.split("/") if question.section else [])]
    return "/".join([*groups, question.written_name])


def roster_item_names(version_ids: Iterable[int]) -> set[str]:
    """The items asked inside rosters (XLSForm repeats): their answers are lists of entries,
    exported as the roster's own table (exports/repeats.py), not as main-table columns."""
    return set(
        Question.objects.filter(version_id__in=list(version_ids), page__repeat__isnull=False)
        .values_list("name", flat=True)
        .distinct()
    )


def version_numbers(version_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        QuestionnaireVersion.objects.filter(pk__in=list(version_ids)).values_list("pk", "number")
    )


def concept_definitions(keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    return dict(
        ItemBankConcept.objects.filter(key__in=[k for k in keys if k]).values_list(
            "key", "definition"
        )
    )
