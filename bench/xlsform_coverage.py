"""Measure: of the XLSForms that pyxform converts, how many Panelwave imports.

Give it directories of forms nobody here wrote (pyxform's own example and test forms, forms
published by KoboToolbox users, ...). They are read where they lie and never copied into the
repository. For each .xlsx/.xls/.xlsm/.csv file:

1. pyxform (the converter ODK and KoboToolbox use) converts it to an XForm, or not; forms
   it refuses are left out of the share, since no ODK tool would run them either;
2. Panelwave reads it with `skip_unsupported` (and the form's own directory as its media
   directory, so external choice CSVs beside it are found), then writes it back and reads
   that again: the round trip must give an equal form.

A refusal is a FormError (one line naming the row); anything else is a crash. Prints the
share imported (target: at least 90%), the crashes, and the refusals grouped by their
message with the row and names taken out, most frequent first: the order to fix them in.

    python bench/xlsform_coverage.py DIR [DIR ...] [--show-forms]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from surveys.formspec import FormError  # noqa: E402 (after the path is set)
from surveys.xlsform import read_xlsform, write_xlsform  # noqa: E402

SUFFIXES = (".xlsx", ".xls", ".xlsm", ".csv")
TARGET_SHARE = 0.9


def _pyxform_converts(path: Path) -> bool:
    # Imported here: only this bench needs pyxform's converter.
    from pyxform.xls2xform import convert

    try:
        convert(xlsform=str(path), warnings=[])
    except Exception:  # noqa: BLE001 (any pyxform error means: ODK would not run it)
        return False
    return True


def _import(path: Path) -> str:
    """ "" when the form imports and round-trips, else the reason."""
    form = read_xlsform(path, skip_unsupported=True, media=path.parent)
    with tempfile.TemporaryDirectory() as directory:
        written = Path(directory) / "form.xlsx"
        write_xlsform(form, written)
        again = read_xlsform(written, skip_unsupported=True)
    return "" if again == form else "round trip differs"


def _kind(message: str) -> str:
    """The refusal without its file, row, column and quoted names: forms that fail for
    the same reason share it."""
    problem = message.split(": ", 1)[1] if ": " in message else message
    problem = re.sub(r"^row \d+, (column [^:]+: )?|^row \d+: ", "", problem)
    return re.sub(r"'[^']*'|\"[^\"]*\"|\$\{[^}]*\}|\d+", "_", problem)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", nargs="+", type=Path)
    parser.add_argument("--show-forms", action="store_true", help="one line per form")
    args = parser.parse_args()
    files = sorted(
        p for d in args.directories for p in d.rglob("*") if p.suffix.lower() in SUFFIXES
    )
    converted = imported = 0
    crashes: list[str] = []
    refusals: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for path in files:
        if not _pyxform_converts(path):
            continue
        converted += 1
        try:
            reason = _import(path)
        except FormError as exc:
            reason = str(exc)
        except Exception:  # noqa: BLE001 (a crash is what this counts)
            crashes.append(f"{path}: {traceback.format_exc().splitlines()[-1]}")
            reason = "crash"
        if not reason:
            imported += 1
        elif reason != "crash":
            refusals[_kind(reason)] += 1
            examples.setdefault(_kind(reason), reason)
        if args.show_forms:
            print(f"{'ok ' if not reason else 'NO '} {path}  {reason}")
    share = imported / converted if converted else 0.0
    print(f"forms found: {len(files)}; pyxform converts: {converted}")
    print(f"Panelwave imports and round-trips: {imported} ({share:.1%}; target {TARGET_SHARE:.0%})")
    print(f"crashes: {len(crashes)}")
    for line in crashes:
        print(f"  {line}")
    print("refusals, most forms first:")
    for kind, count in refusals.most_common():
        print(f"  {count}  {examples[kind]}")


if __name__ == "__main__":
    main()
