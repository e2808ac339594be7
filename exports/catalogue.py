"""The export's columns in order, with their Variables (labels, codes, codebook notes).

Order: pid, wave, version; the items in first-asked order (select_multiple: the codes then
one 0/1 column per option; "other, specify" text beside its item; every string column
followed by its numeric `_status` companion holding the missing code; harmonised twins after
their item); then quality and paradata: complete, duration, one 0/1 per cleaning flag,
flagged, speed_index. Identifier items get no column.

Quasi-identifiers (docs/methods.md 5.6): the base column is coarsened and made
k-anonymous; nothing else may release more of it. So a quasi select_one's harmonised twins
are derived from the released (coarsened, suppressed) value, and the twins of other quasi
items (numbers, places, dates: a twin would carry the exact value coarsening removed), the
"other, specify" text of a quasi select_one and quasi select_multiple items (a set of
choices cannot be coarsened to k) are withheld, each with a codebook note.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext_noop

from exports import columns as col
from exports.anonymise.kanon import QuasiColumn, QuasiKind
from exports.dataset import ExportSpec, ValueType, Variable, translated
from exports.harmonise import SOURCE_TITLE, TwinPlan, plan_twins
from exports.items import (
    Item,
    concept_definitions,
    label_in,
    load_items,
    roster_item_names,
    version_numbers,
)
from exports.sampling import Sample, latest_runs
from exports.texts import translate_to
from respondents.models import CleaningRun
from surveys.models import PrivacyClass, QuestionType

# The choice name of a code that recoding made by merging rarer choices.
MERGED_NAME = "_merged"
# Quasi-identifiers that every analysis needs most: recoded and suppressed last.
SEX_NAMES = {"sex", "gender"}
RESERVED = {"pid", "wave", "version", "complete", "duration", "flagged", "speed_index"}
NAME_LIMIT = 64
STRING_STATUS_NOTE = gettext_noop(
    "String columns (text, other-specify, select_multiple code lists) hold an empty string "
    "whenever there is no text; the numeric <name>_status column beside each says why: "
    "0 answered, -2 no answer, -3 not applicable, -4 not asked, -5 break-off."
)
SPEED_INDEX_NOTE = gettext_noop(
    "Leiner's (2019) relative speed index, recomputed by the export for every completed "
    "response from the page times with the cleaning's own function "
    "(respondents/quality/speeders.py): per wave, page medians from the wave's completed "
    "responses (per language where a language has enough), speed factors capped, mean over "
    "the pages seen; pages with too few reference completes are left out; 1 = typical, "
    "2 = twice as fast as the median; the cleaning flags RSI above its threshold."
)
QUASI_TWIN_NOTE = gettext_noop(
    "derived from the released (coarsened, suppressed) value of {base}: -6 where {base} was "
    "suppressed or merged into a rarer-categories code"
)
QUASI_TWINS_WITHHELD = gettext_noop(
    "harmonised twins ({twins}) withheld: a twin of this quasi-identifier would release the "
    "exact value that coarsening removes"
)
QUASI_OTHER_WITHHELD = gettext_noop(
    "the 'other, specify' text of this quasi-identifier is withheld: free text cannot be "
    "coarsened to k"
)
FREE_TEXT_NOTE = {
    "scrub": gettext_noop(
        "free text scrubbed of people's names, street addresses and flat numbers, "
        "e-mails (spelled-out ones too), phone numbers, messenger handles and links, URLs, IP, "
        "card and ID numbers, each replaced by a tag such as <NAME>; public figures, cities and "
        "countries stay; the disclosure report's free_text section gives, per variable, how many "
        "of each kind were replaced, the scrubber version and its measured recall"
    ),
    "withhold": gettext_noop(
        "free text withheld on request: only whether an answer was given is released"
    ),
}
QUASI_NOTE = gettext_noop("quasi-identifier")
SUPPRESSED_NOTE = gettext_noop("{n} values suppressed by local suppression for k-anonymity")
IDENTIFIERS_NOTE = gettext_noop("Items never exported (direct identifiers): {names}.")
QUASI_WITHHELD_NOTE = gettext_noop(
    "Quasi-identifier items withheld (a set of choices cannot be coarsened to k): {names}."
)
CONTACTS_NOTE = gettext_noop(
    "Contact details and panel keys are never exported; pid is keyed per export."
)
ORDER_NOTE = gettext_noop("Rows are in random order.")
NONE_NAMED = gettext_noop("none")
FLAG_NOTE = gettext_noop("from the wave's latest cleaning run; researcher overrides applied")
STATUS_NOTE = gettext_noop("why {name} holds no text (0 = it holds the answer)")
MULTIPLE_NOTE = gettext_noop(
    "the chosen options' names separated by spaces; one 0/1 column per option"
)
FLAGGED_LEFT_OUT = gettext_noop("flagged responses left out")
FLAGGED_INCLUDED = gettext_noop("flagged responses included; flag variables let you exclude them")
TWIN_NOTE = gettext_noop("harmonised twin of {name}")
TWIN_ENGLISH_NOTE = gettext_noop(
    "value labels of codes {codes} are in English: neither the item bank nor the "
    "questionnaire gives them in this export's language"
)


@dataclass
class Catalogue:
    columns: list[col.Column]
    item_columns: list[col.Column]
    quasi_columns: list[col.Column]
    quasi_specs: list[QuasiColumn]
    item_waves: dict[str, set[int]]
    wave_numbers: dict[int, int]
    wave_versions: dict[int, int]
    version_numbers: dict[int, int]
    cleaned_waves: set[int]
    run_ids: list[int]
    flag_columns: dict[str, str]
    cleaning_rules: dict[str, Any]
    notes: list[str]
    language: str = "en"
    coarsened_labels: dict[str, dict[int, str]] = field(default_factory=dict)

    @property
    def derived_columns(self) -> list[col.Column]:
        """Columns computed from another column's released value (quasi twins)."""
        return [c for c in self.columns if c.released_from is not None]

    def with_quasi_notes(
        self, notes: Mapping[str, list[str]], suppressions: Mapping[str, int]
    ) -> Catalogue:
        scheme = col.missing_scheme(self.language)
        kinds = {q.name: q.kind for q in self.quasi_specs}

        def update(column: col.Column) -> col.Column:
            name = column.variable.name
            with_suppressed = {
                **column.variable.missing_codes,
                col.SUPPRESSED: scheme[col.SUPPRESSED],
            }
            if column.released_from is not None:
                variable = replace(column.variable, missing_codes=with_suppressed)
                return replace(column, variable=variable)
            if name not in notes:
                return column
            suppressed = sum(
                n for c, n in suppressions.items() if c == name or c.startswith(f"{name}_w")
            )
            labels = self._translated(self.coarsened_labels.get(name, {}))
            names = column.variable.choice_names
            variable = replace(
                column.variable,
                value_labels=labels,
                missing_codes=with_suppressed,
                type="integer",
                measure="nominal" if kinds.get(name) in ("category", "place") else "ordinal",
                choice_names={c: names.get(c, MERGED_NAME) for c in labels} if names else {},
                notes=(
                    *column.variable.notes,
                    translate_to(self.language, QUASI_NOTE),
                    *(translated(note, self._translate) for note in notes[name]),
                    translate_to(self.language, SUPPRESSED_NOTE).format(n=suppressed),
                ),
            )
            return replace(column, variable=variable)

        updated = [update(c) for c in self.columns]
        by_name = {c.variable.name: c for c in updated}
        return replace(
            self,
            columns=updated,
            item_columns=[by_name[c.variable.name] for c in self.item_columns],
            quasi_columns=[by_name[c.variable.name] for c in self.quasi_columns],
        )

    def _translated(self, labels: Mapping[int, str]) -> dict[int, str]:
        """Recoding labels (kanon's Phrases, in English) in the export's language; answer
        labels are in it already."""
        return {code: translated(label, self._translate) for code, label in labels.items()}

    def _translate(self, message: str) -> str:
        return translate_to(self.language, message)


def safe_name(name: str, taken: set[str], *, reserved_ok: bool = False) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not base or not base[0].isalpha():
        base = f"v_{base}"
    base = base[:NAME_LIMIT]
    if not reserved_ok and (base in RESERVED or base.startswith("flag_")):
        base = f"{base}_item"[:NAME_LIMIT]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[: NAME_LIMIT - 4]}_{n}"
    taken.add(candidate)
    return candidate


def build_catalogue(sample: Sample, rules: Sequence[str], spec: ExportSpec) -> Catalogue:
    """`rules`: the cleaning rules flagging any response of the sample's waves, each a flag
    column (all zero when the flagged responses are left out: the columns still say which
    rules the cleaning applied and found)."""
    wave_versions = {w.id: w.version_id for w in sample.waves}
    numbers = version_numbers(wave_versions.values())
    # A roster's items are its own table's columns (exports/repeats.py).
    rostered = roster_item_names(wave_versions.values())
    every = [i for i in load_items(wave_versions.values()) if i.name not in rostered]
    items = [i for i in every if i.privacy != PrivacyClass.IDENTIFIER]
    withheld = [i.name for i in every if i.privacy == PrivacyClass.IDENTIFIER]
    concepts = concept_definitions(i.concept for i in items)
    taken = set(RESERVED)
    item_columns: list[col.Column] = []
    quasi: list[col.Column] = []
    specs: list[QuasiColumn] = []
    quasi_withheld: list[str] = []
    for item in items:
        made = columns_of_item(item, spec, numbers, concepts, taken)
        if item.privacy == PrivacyClass.QUASI and not made:
            quasi_withheld.append(item.name)
        item_columns.extend(made)
        if item.privacy == PrivacyClass.QUASI and made:
            quasi.append(made[0])
            specs.append(
                QuasiColumn(
                    made[0].variable.name,
                    _quasi_kind(item),
                    item.value_labels(spec.language),
                    is_sex=_is_sex(item),
                    names=item.choice_names(),
                )
            )
    runs = latest_runs(wave_versions)
    flag_columns = {rule: safe_name(f"flag_{rule}", taken, reserved_ok=True) for rule in rules}
    waves_of_version: dict[int, set[int]] = {}
    for wave in sample.waves:
        waves_of_version.setdefault(wave.version_id, set()).add(wave.number)
    item_waves = {
        i.name: set().union(*(waves_of_version.get(v, set()) for v in i.versions)) for i in items
    }
    for column in item_columns:
        if column.item is not None:
            item_waves[column.variable.item or column.item.name] = item_waves[column.item.name]
    columns = [
        *_id_columns(sample, spec.language),
        *item_columns,
        *_quality_columns(flag_columns, spec.language),
    ]
    return Catalogue(
        columns=columns,
        item_columns=item_columns,
        quasi_columns=quasi,
        quasi_specs=specs,
        item_waves=item_waves,
        wave_numbers={w.id: w.number for w in sample.waves},
        wave_versions=wave_versions,
        version_numbers={w.id: numbers[w.version_id] for w in sample.waves},
        cleaned_waves=set(runs),
        run_ids=list(runs.values()),
        flag_columns=flag_columns,
        cleaning_rules=_cleaning_rules(runs, sample, rules, spec.language),
        language=spec.language,
        notes=_notes(spec, withheld, quasi_withheld),
    )


def _notes(spec: ExportSpec, withheld: list[str], quasi_withheld: list[str]) -> list[str]:
    def tr(message: str) -> str:
        return translate_to(spec.language, message)

    free_text = tr(FREE_TEXT_NOTE[spec.free_text])
    return [
        tr(IDENTIFIERS_NOTE).format(names=", ".join(withheld) or tr(NONE_NAMED)),
        tr(QUASI_WITHHELD_NOTE).format(names=", ".join(quasi_withheld) or tr(NONE_NAMED)),
        tr(STRING_STATUS_NOTE),
        tr(CONTACTS_NOTE),
        tr(ORDER_NOTE),
        free_text[:1].upper() + free_text[1:] + ".",
    ]


def _is_sex(item: Item) -> bool:
    return bool({item.name.lower(), item.concept.lower()} & SEX_NAMES)


def _quasi_kind(item: Item) -> QuasiKind:
    if item.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
        return "age" if "age" in item.name.lower() or item.concept == "age" else "numeric"
    if item.type == QuestionType.TEXT:
        return "place"
    if item.type == QuestionType.DATE:
        return "date"
    return "category"


def columns_of_item(
    item: Item,
    spec: ExportSpec,
    numbers: Mapping[int, int],
    concepts: Mapping[str, dict[str, Any]],
    taken: set[str],
) -> list[col.Column]:
    language = spec.language
    latest = item.latest
    label = label_in(latest.labels, language) or item.name
    notes = tuple(item.change_notes(language, numbers))
    base = Variable(
        name=safe_name(item.name, taken),
        label=label,
        kind="numeric",
        item=item.name,
        wording=dict(latest.labels),
        missing_codes=col.item_missing(language),
        notes=notes,
    )
    is_quasi = item.privacy == PrivacyClass.QUASI
    if item.type == QuestionType.SELECT_MULTIPLE:
        if is_quasi:
            taken.discard(base.name)
            return []  # a set of choices cannot be coarsened to k: withheld (catalogue note)
        return _multiple_columns(item, base, language, taken)
    if item.type == QuestionType.SELECT_ONE:
        labels, missing = split_missing_choices(item, language, concepts.get(item.concept))
        choice = replace(
            base,
            type="integer",
            value_labels=labels,
            missing_codes={**missing, **base.missing_codes},
            choice_names=item.choice_names(),
        )
        twins = _twins(item, choice, concepts, taken, quasi=is_quasi, language=language)
        if is_quasi and item.has_other:
            withheld_other = translate_to(language, QUASI_OTHER_WITHHELD)
            choice = replace(choice, notes=(*choice.notes, withheld_other))
        out = [col.Column(choice, item, col.single_choice)]
        if item.has_other and not is_quasi:
            other = Variable(
                name=safe_name(f"{item.name}_other", taken),
                label=f"{label}: {col.label_text(language, 'other_specify')}",
                kind="string",
                item=item.name,
                notes=(translate_to(language, FREE_TEXT_NOTE[spec.free_text]),),
            )
            out.append(
                col.Column(
                    other,
                    item,
                    col.text("_other"),
                    is_free_text=True,
                    answer_key=f"{item.name}_other",
                )
            )
            out.append(_status_column(other, item, language, taken, "_other"))
        return out + twins
    if item.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
        if is_quasi:
            variable = replace(_withheld_twins_note(item, base, concepts, language), type="integer")
            return [col.Column(variable, item, col.numeric)]
        kind: ValueType = "integer" if item.type == QuestionType.INTEGER else "decimal"
        out = [col.Column(replace(base, measure="scale", type=kind), item, col.numeric)]
        return out + _twins(item, base, concepts, taken, quasi=False, language=language)
    if is_quasi:
        withheld_twins = _withheld_twins_note(item, base, concepts, language)
        return [col.Column(withheld_twins, item, col.quasi_text)]
    string = replace(
        base,
        kind="string",
        missing_codes={},
        type="date" if item.type == QuestionType.DATE else "string",
    )
    if item.type == QuestionType.TEXT:
        free_text = translate_to(language, FREE_TEXT_NOTE[spec.free_text])
        string = replace(string, notes=(*notes, free_text))
        main = col.Column(string, item, col.text(), is_free_text=True, answer_key=item.name)
    else:
        main = col.Column(string, item, col.text())
    return [main, _status_column(string, item, language, taken)]


def _status_column(
    string: Variable, item: Item, language: str, taken: set[str], key_suffix: str = ""
) -> col.Column:
    """The numeric companion saying why a string column holds no text."""
    variable = Variable(
        name=safe_name(f"{string.name}_status", taken),
        label=f"{string.label}: {col.label_text(language, 'status')}",
        kind="numeric",
        type="integer",
        item=item.name,
        value_labels={col.ANSWERED: col.label_text(language, "answered")},
        missing_codes=col.item_missing(language),
        notes=(translate_to(language, STATUS_NOTE).format(name=string.name),),
    )
    return col.Column(variable, item, col.status(key_suffix))


def _withheld_twins_note(
    item: Item, base: Variable, concepts: Mapping[str, dict[str, Any]], language: str
) -> Variable:
    definition = concepts.get(item.concept)
    if not definition:
        return base
    codes = sorted({c.code for v in item.versions.values() for c in v.choices})
    plans, _ = plan_twins(
        definition, codes, hint=str(item.latest.extra.get("harmonise_source", ""))
    )
    if not plans:
        return base
    twins = ", ".join(f"{SOURCE_TITLE[p.target]} {p.target_id}" for p in plans)
    return replace(
        base,
        concept=item.concept,
        notes=(*base.notes, translate_to(language, QUASI_TWINS_WITHHELD).format(twins=twins)),
    )


def _multiple_columns(
    item: Item, base: Variable, language: str, taken: set[str]
) -> list[col.Column]:
    codes = replace(
        base,
        kind="string",
        type="string",
        missing_codes={},
        notes=(*base.notes, translate_to(language, MULTIPLE_NOTE)),
    )
    out = [col.Column(codes, item, col.multiple_codes)]
    out.append(_status_column(codes, item, language, taken))
    for option in item.options():
        suffix = option.name if re.fullmatch(r"[A-Za-z0-9_]+", option.name) else str(option.code)
        dummy = replace(
            base,
            name=safe_name(f"{item.name}_{suffix}", taken),
            label=f"{base.label}: {label_in(option.labels, language) or option.name}",
            type="boolean",
            value_labels={
                0: col.label_text(language, "not_chosen"),
                1: col.label_text(language, "chosen"),
            },
        )
        out.append(col.Column(dummy, item, col.option_dummy(option.name)))
    return out


def _twins(
    item: Item,
    base: Variable,
    concepts: Mapping[str, dict[str, Any]],
    taken: set[str],
    *,
    quasi: bool,
    language: str,
) -> list[col.Column]:
    definition = concepts.get(item.concept)
    if not definition:
        return []
    codes = sorted({c.code for v in item.versions.values() for c in v.choices})
    plans, missing = plan_twins(
        definition,
        codes,
        hint=str(item.latest.extra.get("harmonise_source", "")),
        language=language,
    )
    out = []
    for plan in plans:
        twin_of = translate_to(language, TWIN_NOTE).format(name=base.name)
        value_labels, english = twin_labels(item, plan, codes, language)
        notes = (
            twin_of,
            *(translated(note, _translator(language)) for note in (*plan.notes, *missing)),
        )
        if english:
            notes = (*notes, translate_to(language, TWIN_ENGLISH_NOTE).format(codes=english))
        if quasi:
            notes = (*notes, translate_to(language, QUASI_TWIN_NOTE).format(base=base.name))
        integral = bool(codes) and all(float(plan.apply(c)).is_integer() for c in codes)
        variable = Variable(
            name=safe_name(f"{base.name}_{plan.target}", taken),
            label=f"{base.label} [{SOURCE_TITLE[plan.target]} {plan.target_id}]",
            kind="numeric",
            type="integer" if integral else "decimal",
            measure="ordinal",
            value_labels=value_labels,
            missing_codes=dict(base.missing_codes),
            item=item.name,
            concept=item.concept,
            notes=notes,
        )
        if quasi:
            # Filled after disclosure control from the released base value (assembly).
            derive = col.released_twin(plan, item.value_labels("en"))
            out.append(
                col.Column(variable, item, col.twin(plan), released_from=base.name, derive=derive)
            )
        else:
            out.append(col.Column(variable, item, col.twin(plan)))
    return out


def twin_labels(
    item: Item, plan: TwinPlan, codes: list[int], language: str
) -> tuple[dict[int, str], str]:
    """A twin's value labels in the export's language. The twin in the item's own format
    is the item: the questionnaire's labels first, then the item bank's. A twin in the
    other format: the item bank's in that language, else the questionnaire's label of the
    one choice an exact recode maps to the code. Else English. Returns the labels and the
    codes left in English ("" when none)."""
    own = {
        choice.code: choice.labels[language]
        for version_id in sorted(item.versions)
        for choice in item.versions[version_id].choices
        if choice.labels.get(language)
    }
    labels: dict[int, str] = {}
    english: list[int] = []
    for code, label in plan.value_labels.items():
        sources = [c for c in codes if plan.exact and plan.apply(c) == code]
        from_item = own.get(sources[0]) if len(sources) == 1 else None
        bank_first = plan.target != plan.source and code in plan.in_language
        if from_item and not bank_first:
            labels[code] = from_item
        elif code in plan.in_language:
            labels[code] = label
        else:
            labels[code] = label
            english.append(code)
    return labels, ", ".join(str(c) for c in english)


def _translator(language: str) -> Callable[[str], str]:
    def translate(message: str) -> str:
        return translate_to(language, message)

    return translate


def split_missing_choices(
    item: Item, language: str, definition: Mapping[str, Any] | None
) -> tuple[dict[int, str], dict[int, str]]:
    """An item's value labels split into answers and missing reasons: a choice with a
    negative code ("don't know" -1, refusal -2, WVS style) or one of the item-bank
    concept's missing codes (ESS 77, 88, 99) is a reason for a missing answer, unless the
    concept says "don't know" is a substantive answer (`dont_know_substantive: true`)."""
    labels = item.value_labels(language)
    declared: set[int] = set()
    for source in ("wvs7", "ess"):
        block = (definition or {}).get(source) or {}
        declared.update(int(c) for c in block.get("missing_codes") or [])
    substantive = bool((definition or {}).get("dont_know_substantive"))
    missing = {
        code: label
        for code, label in labels.items()
        if (code < 0 or code in declared) and not (substantive and code == col.DONT_KNOW)
    }
    return {c: v for c, v in labels.items() if c not in missing}, missing


def _id_columns(sample: Sample, language: str) -> list[col.Column]:
    noop = col.numeric
    text = TextsIn(language)
    return [
        col.Column(Variable("pid", text("person"), "string", type="string"), None, noop),
        col.Column(
            Variable(
                "wave",
                text("wave"),
                "numeric",
                type="integer",
                value_labels={w.number: w.name for w in sample.waves},
            ),
            None,
            noop,
        ),
        col.Column(Variable("version", text("version"), "numeric", type="integer"), None, noop),
    ]


class TextsIn:
    """The export's fixed texts in one language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, key: str, **values: str) -> str:
        return col.label_text(self.language, key).format(**values)

    def translated(self, message: str) -> str:
        return translate_to(self.language, message)


def _quality_columns(flag_columns: Mapping[str, str], language: str) -> list[col.Column]:
    noop = col.numeric
    text = TextsIn(language)
    not_cleaned = {col.BREAK_OFF: text("not_cleaned")}
    yes_no = {0: text("no"), 1: text("yes")}
    variables = [
        Variable("complete", text("complete"), "numeric", type="boolean", value_labels=yes_no),
        Variable(
            "duration",
            text("duration"),
            "numeric",
            measure="scale",
            missing_codes={col.BREAK_OFF: text("not_completed")},
        ),
        *(
            Variable(
                name,
                text("flag", rule=rule),
                "numeric",
                type="boolean",
                value_labels=yes_no,
                missing_codes=not_cleaned,
                notes=(text.translated(FLAG_NOTE),),
            )
            for rule, name in flag_columns.items()
        ),
        Variable(
            "flagged",
            text("flagged"),
            "numeric",
            type="boolean",
            value_labels=yes_no,
            missing_codes=not_cleaned,
        ),
        Variable(
            "speed_index",
            text("speed_index"),
            "numeric",
            measure="scale",
            missing_codes={col.BREAK_OFF: text("speed_missing")},
            notes=(text.translated(SPEED_INDEX_NOTE),),
        ),
    ]
    return [col.Column(v, None, noop) for v in variables]


def _cleaning_rules(
    runs: Mapping[int, int], sample: Sample, rules: Sequence[str], language: str
) -> dict[str, Any]:
    names = {w.id: w.name for w in sample.waves}
    configs = {
        names[wave_id]: {"run": pk, "config": config, "counts": counts}
        for pk, wave_id, config, counts in CleaningRun.objects.filter(
            pk__in=list(runs.values())
        ).values_list("pk", "wave_id", "config", "counts")
    }
    return {
        "rules_flagged": list(rules),
        "excluded": translate_to(
            language, FLAGGED_INCLUDED if sample.include_flagged else FLAGGED_LEFT_OUT
        ),
        "runs": configs,
        "waves_not_cleaned": [w.name for w in sample.waves if w.id not in runs],
    }
