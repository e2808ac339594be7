"""Which answer keys of a questionnaire hold free text: text questions and the "other,
specify" text of single choices. Quasi-identifiers and identifiers are never released as
text, so they are not scrubbed or warned about. One rule for the scrubber (which queries a
version's questions) and the page flow (which reads it from the cached form schema)."""

from __future__ import annotations

from collections.abc import Iterable

from surveys.models import PrivacyClass, Question, QuestionType

NOT_FREE_TEXT = (PrivacyClass.QUASI, PrivacyClass.IDENTIFIER)


def free_text_keys_of(questions: Iterable[Question]) -> list[str]:
    """The free-text answer keys of these questions: text questions first, then the
    "other" texts, each in the order given."""
    kept = [q for q in questions if q.privacy not in NOT_FREE_TEXT]
    keys = [q.name for q in kept if q.type == QuestionType.TEXT]
    keys += [
        f"{q.name}_other" for q in kept if q.type == QuestionType.SELECT_ONE and q.other_choice
    ]
    return keys
