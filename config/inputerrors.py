"""A service's refusal of one input, naming that input, so no interface has to guess it
from the message: the API answers 400 under the request field of that name (config/api.py,
the one place that maps a ValidationError); a page shows the message in its refusal block
or beside the field; a command prints it as its one-line error.

It is Django's ValidationError in its by-field form ({field: [message]}), so everything
that reads one (`message_dict`, `messages`, a form's `add_error`) reads this too. The name
is the one the API and the forms use for the input (a wave's "name", "version",
"channels", "state"; an export's "k", "waves"); None when the refusal concerns no single
input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError


class InputError(ValidationError):
    """A refusal whose message names the problem and whose `field` names the input.

    A refusal of several parts of one input (the bad rows of an uploaded form) gives each
    as one of `problems`, a mapping with at least its "message" and whatever locates it
    ("sheet", "row", "column"): the messages become the input's list of errors, and the API
    returns the mappings as they are, so a client can point at each bad row."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        problems: Sequence[Mapping[str, object]] = (),
    ) -> None:
        lines: str | list[str] = [str(p["message"]) for p in problems] or message
        if field is None:
            super().__init__(lines)
        else:
            super().__init__({field: lines if isinstance(lines, list) else [lines]})
        self.field = field
        self.problems = tuple(problems)

    def __str__(self) -> str:
        # The message itself, not Django's repr of a dict or list: commands print it.
        return " ".join(self.messages)
