"""Questionnaires and their versions: import, publish, fork, export.

A version is written from, and read back into, the internal schema (surveys/formspec.py),
so every path (XLSForm, JSON, item bank, fork) writes the same rows and the content hash
of a version is the hash of its canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from config.inputerrors import InputError
from surveys.diff import ERROR_TYPE_CHANGED, ItemTypeChangedError, VersionDiff, diff_forms
from surveys.filebounds import FileBoundsError, FileLimits, FormFileShape, check_form_file
from surveys.formjson import form_to_dict, read_json, write_json
from surveys.formspec import (
    QUESTION_ATTRIBUTES,
    ChoiceListSpec,
    ChoiceSpec,
    FormSpec,
    MetadataField,
    PageSpec,
    QuestionSpec,
    SkippedItem,
    form_error,
    groups_from_stored,
    section_from_dict,
)
from surveys.itembank import ConceptReference, concept_reference
from surveys.models import (
    Choice,
    ChoiceList,
    FrozenVersionError,
    ItemBankConcept,
    Page,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Study,
    VersionStatus,
    publishing,
)
from surveys.repeats import repeat_from_dict

ExportFormat = Literal["xlsform", "json"]
EXPORT_SUFFIXES: dict[str, str] = {"xlsform": ".xlsx", "json": ".json"}

# A question's fields are declared once, by QuestionSpec (surveys/formspec.py); a Question
# row keeps each under the same name, except the choice list (a name in the spec, a row
# here).
STORED_QUESTION_FIELDS = (
    "name",
    "type",
    *(name for name in QUESTION_ATTRIBUTES if name != "choice_list"),
)

ERROR_ALREADY_PUBLISHED = "version {version_id} is already published"
ERROR_UNKNOWN_CONCEPTS = "not in the item bank (run load_item_bank?): {keys}"
ERROR_NO_CONCEPTS = "name at least one item-bank concept"
ERROR_EXPORT_FORMAT = "format {format!r} is not one of xlsform, json"


class UnknownConceptError(InputError, ValueError):
    """A questionnaire was asked for from concepts the item bank does not hold (still a
    ValueError, as it was before it named its input)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="concepts")


@dataclass(frozen=True)
class ImportResult:
    version: QuestionnaireVersion
    items: int
    languages: list[str]
    skipped: list[SkippedItem]
    warnings: list[str]


def form_file_limits() -> FileLimits:
    return FileLimits(
        file_bytes=settings.FORM_MAX_FILE_BYTES,
        unpacked_bytes=settings.FORM_MAX_UNPACKED_BYTES,
        members=settings.FORM_MAX_ZIP_MEMBERS,
        ratio=settings.FORM_MAX_ZIP_RATIO,
        rows=settings.FORM_MAX_ROWS,
        columns=settings.FORM_MAX_COLUMNS,
        cells=settings.FORM_MAX_CELLS,
    )


def check_form_bounds(path: Path) -> FormFileShape:
    """The file's size, zip directory, rows and cells against the limits; FormError (naming
    the file and the bound) before any parser has read it."""
    try:
        return check_form_file(path, form_file_limits())
    except FileBoundsError as exc:
        raise form_error(path.name, str(exc)) from exc


def read_form(
    path: Path,
    *,
    skip_unsupported: bool = False,
    allow_no_labels: bool = False,
    media: Path | None = None,
) -> FormSpec:
    """An XLSForm (.xlsx, .xls, .csv) or native JSON (.json) file, bounded, read and checked;
    `media` is the directory holding the CSV files its select_*_from_file items name."""
    check_form_bounds(path)
    if path.suffix.lower() == ".json":
        return read_json(path)
    # Imported on use: openpyxl and pyxform take a second to load, which every command (and
    # every web process) would otherwise pay at start-up.
    from surveys.xlsform import read_xlsform  # noqa: PLC0415 (heavy: loaded on use)

    return read_xlsform(
        path, skip_unsupported=skip_unsupported, allow_no_labels=allow_no_labels, media=media
    )


@transaction.atomic
def import_questionnaire(
    path: Path,
    *,
    study: Study,
    skip_unsupported: bool = False,
    allow_no_labels: bool = False,
    media: Path | None = None,
    questionnaire_name: str | None = None,
) -> ImportResult:
    """Read a form file into a new draft version of the study's questionnaire.

    The questionnaire is `questionnaire_name`, else the form's `form_id` setting, else the
    file name; it is created on first import. Raises FormError (file, row, column).
    """
    form = read_form(
        path, skip_unsupported=skip_unsupported, allow_no_labels=allow_no_labels, media=media
    )
    name = questionnaire_name or form.settings.get("form_id") or path.stem
    version = create_version(study, _slug(name), form)
    return ImportResult(
        version=version,
        items=len(form.questions()),
        languages=list(form.languages),
        skipped=list(form.skipped),
        warnings=list(form.warnings),
    )


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower()
    return slug[:100] or "questionnaire"


def create_version(
    study: Study,
    questionnaire_name: str,
    form: FormSpec,
    *,
    forked_from: QuestionnaireVersion | None = None,
) -> QuestionnaireVersion:
    """Write `form` as the next draft version of the named questionnaire."""
    questionnaire, _ = Questionnaire.objects.get_or_create(
        study=study,
        name=questionnaire_name,
        defaults={"title": form.title.get(form.source_language, "")[:200]},
    )
    # Lock the questionnaire so two imports cannot take the same version number.
    Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).get()
    last = questionnaire.versions.aggregate(last=Max("number"))["last"] or 0
    version = QuestionnaireVersion(
        questionnaire=questionnaire,
        number=last + 1,
        source_language=form.source_language,
        languages=list(form.languages),
        title=form.title,
        settings={"form": form.settings, "language_names": form.language_names},
        metadata_fields=[{"name": m.name, "type": m.type} for m in form.metadata_fields],
        forked_from=forked_from,
    )
    version.full_clean()
    version.save()
    refuse_changed_types(version, [(q.name, q.type) for q in form.questions()])
    _write_parts(version, form)
    return version


def refuse_changed_types(version: QuestionnaireVersion, items: list[tuple[str, str]]) -> None:
    """Refuse an item whose name a published version of the same questionnaire gives
    another type (ItemTypeChangedError naming the item and both types).

    Published versions are the ones waves field, so their item names are variables in the
    panel's data; a draft that never went out can still be corrected or deleted.
    """
    types = dict(items)
    earlier = (
        Question.objects.filter(
            version__questionnaire_id=version.questionnaire_id,
            version__status=VersionStatus.PUBLISHED,
            name__in=types,
        )
        .exclude(version_id=version.pk)
        .order_by("version__number", "position")
        .values_list("name", "type")
    )
    for name, old_type in earlier:
        if types[name] != old_type:
            raise ItemTypeChangedError(
                ERROR_TYPE_CHANGED.format(name=name, old=old_type, new=types[name])
            )


def _write_parts(version: QuestionnaireVersion, form: FormSpec) -> None:
    # Bulk inserts: the version is a new draft, so the per-row frozen check has nothing to do.
    lists = {cl.name: ChoiceList(version=version, name=cl.name) for cl in form.choice_lists}
    ChoiceList.objects.bulk_create(lists.values())
    Choice.objects.bulk_create(
        Choice(
            choice_list=lists[cl.name],
            name=c.name,
            code=c.code,
            position=position,
            labels=c.labels,
            extra=c.extra,
            variants=list(c.variants) or None,
        )
        for cl in form.choice_lists
        for position, c in enumerate(cl.choices, start=1)
    )
    pages = [
        Page(
            version=version,
            name=p.name,
            position=position,
            labels=p.labels,
            relevant=p.relevant,
            appearance=p.appearance,
            sections=[s.as_dict() for s in p.sections],
            repeat=p.repeat.as_dict() if p.repeat is not None else None,
            group=[g.as_dict() for g in p.groups] or None,
        )
        for position, p in enumerate(form.pages, start=1)
    ]
    Page.objects.bulk_create(pages)
    questions: list[Question] = []
    for page, page_spec in zip(pages, form.pages, strict=True):
        for q in page_spec.questions:
            questions.append(
                Question(
                    version=version,
                    page=page,
                    position=len(questions) + 1,
                    choice_list=lists.get(q.choice_list) if q.choice_list else None,
                    **_stored_fields(q),
                )
            )
    Question.objects.bulk_create(questions)


def version_to_form(version: QuestionnaireVersion) -> FormSpec:
    """The internal schema of a stored version (the inverse of create_version)."""
    lists = [
        ChoiceListSpec(
            name=cl.name,
            choices=tuple(
                ChoiceSpec(
                    name=c.name,
                    code=c.code,
                    labels=c.labels,
                    extra=c.extra,
                    variants=tuple(dict(v) for v in c.variants or ()),
                )
                for c in cl.choices.order_by("position")
            ),
        )
        for cl in version.choice_lists.prefetch_related("choices").order_by("name")
    ]
    questions = version.questions.select_related("choice_list").order_by("position")
    by_page: dict[int, list[QuestionSpec]] = {}
    for q in questions:
        by_page.setdefault(q.page_id, []).append(question_spec(q))
    pages = [
        PageSpec(
            name=p.name,
            labels=p.labels,
            relevant=p.relevant,
            appearance=p.appearance,
            sections=tuple(section_from_dict(s) for s in p.sections),
            repeat=repeat_from_dict(p.repeat),
            groups=groups_from_stored(p.group),
            questions=tuple(by_page.get(p.pk, [])),
        )
        for p in version.pages.order_by("position")
    ]
    stored = version.settings or {}
    return FormSpec(
        languages=tuple(version.languages),
        source_language=version.source_language,
        pages=tuple(pages),
        choice_lists=tuple(sorted(lists, key=lambda cl: _list_order(cl, pages))),
        title=dict(version.title),
        language_names=dict(stored.get("language_names", {})),
        settings=dict(stored.get("form", {})),
        metadata_fields=tuple(
            MetadataField(name=m["name"], type=m["type"]) for m in version.metadata_fields
        ),
    )


def _list_order(choice_list: ChoiceListSpec, pages: list[PageSpec]) -> tuple[int, str]:
    # Lists in order of first use, so an export reads like the form it came from.
    names = [q.choice_list for p in pages for q in p.questions if q.choice_list]
    position = names.index(choice_list.name) if choice_list.name in names else len(names)
    return (position, choice_list.name)


def question_spec(q: Question) -> QuestionSpec:
    """A stored question as its spec: every field QuestionSpec declares."""
    return QuestionSpec(
        choice_list=q.choice_list.name if q.choice_list else "",
        **_stored_fields(q),
    )


def _stored_fields(source: QuestionSpec | Question) -> dict[str, Any]:
    """The fields a question spec and its row share, read from either."""
    return {name: getattr(source, name) for name in STORED_QUESTION_FIELDS}


def content_hash(form: FormSpec) -> str:
    canonical = json.dumps(form_to_dict(form), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@transaction.atomic
def publish_version(version_id: int) -> QuestionnaireVersion:
    """Freeze a draft: from now on nothing in it can change (see surveys/models.py)."""
    version = QuestionnaireVersion.objects.select_for_update().get(pk=version_id)
    if version.is_frozen:
        raise FrozenVersionError(version.pk)
    form = version_to_form(version)
    # The draft may have changed since it was written (admin, shell), so check again here.
    refuse_changed_types(version, [(q.name, q.type) for q in form.questions()])
    version.content_hash = content_hash(form)
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    with publishing(version.pk):
        version.save(update_fields=["status", "content_hash", "published_at"])
    return version


@transaction.atomic
def fork_version(version_id: int) -> QuestionnaireVersion:
    """A new draft with the content of `version_id`, numbered after the latest version."""
    source = QuestionnaireVersion.objects.select_related("questionnaire__study").get(pk=version_id)
    questionnaire = source.questionnaire
    return create_version(
        questionnaire.study, questionnaire.name, version_to_form(source), forked_from=source
    )


def export_questionnaire(version_id: int, *, format: str, out: Path) -> Path:
    """Write the version as an XLSForm (.xlsx) or native JSON file; returns the path."""
    if format not in EXPORT_SUFFIXES:
        raise ValueError(ERROR_EXPORT_FORMAT.format(format=format))
    version = QuestionnaireVersion.objects.get(pk=version_id)
    form = version_to_form(version)
    if format == "json":
        write_json(form, out)
    else:
        from surveys.xlsform import write_xlsform  # noqa: PLC0415 (heavy: loaded on use)

        write_xlsform(form, out)
    return out


def item_bank_references() -> dict[str, ConceptReference]:
    return {
        concept.key: concept_reference(concept.key, concept.definition)
        for concept in ItemBankConcept.objects.all()
    }


def diff_versions(old_version_id: int, new_version_id: int) -> VersionDiff:
    """Items added, removed and changed from one version to another, with warnings.

    Harmonised items are checked against the item bank when it is loaded. Raises
    ItemTypeChangedError when an item keeps its name but changes type.
    """
    old = QuestionnaireVersion.objects.get(pk=old_version_id)
    new = QuestionnaireVersion.objects.get(pk=new_version_id)
    bank = item_bank_references()
    return diff_forms(version_to_form(old), version_to_form(new), item_bank=bank or None)


@transaction.atomic
def start_questionnaire_from_concepts(
    study: Study, concept_keys: list[str], *, questionnaire_name: str
) -> QuestionnaireVersion:
    """A draft whose items are item-bank concepts in their WVS-7 (else ESS) wording.

    Each concept becomes a select_one item named after the concept key, harmonised with it,
    on a page of its own; the wording is the English reference, to be translated.
    """
    if not concept_keys:
        raise UnknownConceptError(ERROR_NO_CONCEPTS)
    concept_keys = list(dict.fromkeys(concept_keys))
    concepts = {c.key: c for c in ItemBankConcept.objects.filter(key__in=concept_keys)}
    unknown = [key for key in concept_keys if key not in concepts]
    if unknown:
        raise UnknownConceptError(ERROR_UNKNOWN_CONCEPTS.format(keys=", ".join(unknown)))
    pages, lists = [], []
    for key in concept_keys:
        question, choice_list = _concept_item(key, concepts[key].definition)
        pages.append(PageSpec(name=key, questions=(question,)))
        if choice_list is not None:
            lists.append(choice_list)
    form = FormSpec(
        languages=("en",),
        source_language="en",
        pages=tuple(pages),
        choice_lists=tuple(lists),
        title={"en": questionnaire_name},
    )
    try:
        return create_version(study, _slug(questionnaire_name), form)
    except ItemTypeChangedError as exc:
        # An earlier version gave a concept's name another type: the concepts asked for
        # are what the caller has to change.
        raise InputError(str(exc), field="concepts") from exc


def _concept_item(
    key: str, definition: dict[str, Any]
) -> tuple[QuestionSpec, ChoiceListSpec | None]:
    block: dict[str, Any] = next(
        (definition[s] for s in ("wvs7", "ess") if isinstance(definition.get(s), dict)), {}
    )
    labelled = {
        int(c["code"]): str(c.get("label", ""))
        for c in block.get("categories") or []
        if isinstance(c, dict) and isinstance(c.get("code"), int)
    }
    codes = sorted(concept_reference(key, definition).scales.get(_survey_of(definition), set()))
    wording = str(block.get("question") or definition.get("label") or key)
    if not codes:
        return QuestionSpec(name=key, type="integer", labels={"en": wording}, harmonise=key), None
    choices = tuple(
        ChoiceSpec(name=str(code), code=code, labels={"en": labelled.get(code, str(code))})
        for code in codes
    )
    question = QuestionSpec(
        name=key, type="select_one", labels={"en": wording}, choice_list=key, harmonise=key
    )
    return question, ChoiceListSpec(name=key, choices=choices)


def _survey_of(definition: dict[str, Any]) -> str:
    return "wvs7" if isinstance(definition.get("wvs7"), dict) else "ess"
