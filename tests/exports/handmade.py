"""A small Dataset built by hand for the writer and codebook tests (no database)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd

from exports.dataset import Dataset, Variable

MISSING = {
    -1: "Don't know",
    -2: "No answer (left empty)",
    -3: "Not applicable (hidden by skip logic)",
    -4: "Not asked in this wave or version",
    -5: "Break-off or technical missing",
    -6: "Removed by disclosure control",
}
ITEM_MISSING = {code: MISSING[code] for code in (-2, -3, -4, -5)}
LONG_NAME = "how_much_do_you_trust_people_you_meet_first_time"  # 49 characters
LONG_LABEL = "Насколько вы доверяете людям, которых встречаете впервые? " * 6  # 348 chars
LONG_VALUE_LABEL = ("Полностью доверяю, без каких-либо оговорок и сомнений " * 3).strip()  # 161
TRUST_LABEL = "Можно ли доверять большинству людей?"

VARIABLES = [
    Variable(name="pid", label="Pseudonymous person id (this export only)", kind="string"),
    Variable(
        name="wave",
        label="Wave",
        kind="numeric",
        type="integer",
        value_labels={1: "spring-2025", 2: "autumn-2025"},
    ),
    Variable(
        name="trust",
        label=TRUST_LABEL,
        kind="numeric",
        type="integer",
        value_labels={1: "Можно доверять", 2: "Нужно быть осторожным"},
        missing_codes=ITEM_MISSING,
        item="trust",
        wording={"ru": TRUST_LABEL, "en": "Can most people be trusted?"},
        concept="trust_people",
        notes=("wording changed between versions 1 and 2",),
    ),
    Variable(
        name="age",
        label="Возраст",
        kind="numeric",
        measure="scale",
        missing_codes=ITEM_MISSING,
        item="age",
        wording={"ru": "Ваш возраст", "en": "Your age"},
    ),
    Variable(
        name=LONG_NAME,
        label=LONG_LABEL,
        kind="numeric",
        type="integer",
        measure="ordinal",
        value_labels={1: LONG_VALUE_LABEL, 2: "Недоверие"},
        missing_codes=ITEM_MISSING,
        item=LONG_NAME,
    ),
    Variable(
        name="comment",
        label="Комментарий",
        kind="string",
        item="comment",
        notes=("scrubbed of emails, phone numbers, Telegram handles and links",),
    ),
]

ROWS = [
    ("p1", 1.0, 1.0, 34.0, 1.0, "Всё хорошо"),
    ("p2", 1.0, 2.0, -2.0, 2.0, ""),
    ("p3", 2.0, -3.0, 51.5, -4.0, "Нормально, спасибо"),
    ("p1", 2.0, -2.0, 35.0, -5.0, ""),
    ("p4", 2.0, 1.0, -4.0, 1.0, "[scrubbed]"),
]


def make_dataset(
    *, chunk_size: int = 2, rows: Sequence[tuple[object, ...]] | None = None, title: str = ""
) -> Dataset:
    data = ROWS if rows is None else rows
    frame = pd.DataFrame(data, columns=[v.name for v in VARIABLES])
    for v in VARIABLES:
        frame[v.name] = frame[v.name].astype(object if v.kind == "string" else "float64")

    def chunks() -> Iterator[pd.DataFrame]:
        for start in range(0, len(frame), chunk_size):
            yield frame.iloc[start : start + chunk_size].reset_index(drop=True)

    return Dataset(
        variables=list(VARIABLES),
        chunks=chunks,
        rows=len(frame),
        sample_definition="Combined: every completed response of waves spring-2025, autumn-2025",
        cleaning_rules={"speeder": {"description": "RSI above 2.0", "threshold": 2.0}},
        disclosure_report={"k_required": 5, "k_reached": 5, "suppressions": {"age": 1}},
        missing_scheme=MISSING,
        title=title or "Панель эмигрантов 2025",
        notes=["Waves fielded on versions 1 and 2 merged by item name."],
    )


def as_frame() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=[v.name for v in VARIABLES])
