"""A service's refusal of one input, naming that input, so no interface has to guess it
from the message: the API answers 400 under the request field of that name (config/api.py,
the one place that maps it); a page shows the message in its refusal block (a form's
non-field errors, as for any ValidationError); a command prints it as its one-line error.

It is Django's ValidationError, so code that catches a ValidationError keeps working; only
the name of the input is added. The name is the one the API and the forms use for it (a
wave's "name", "version", "channels", "state"); None when the refusal concerns no single
input.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class InputError(ValidationError):
    """A refusal whose message names the problem and whose `field` names the input."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def __str__(self) -> str:
        # The message itself, not Django's list repr ("['...']"): commands print it.
        return " ".join(self.messages)
