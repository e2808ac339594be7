#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

DEBUG_UNSET_WARNING = (
    "manage.py runserver: DJANGO_DEBUG is not set, so debug pages are off and generated "
    "secrets under var/ are used. Set DJANGO_DEBUG=true to develop (as `make demo` does), "
    "or DJANGO_DEBUG=false with real secrets in production (`make serve`, gunicorn).\n"
)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line  # noqa: PLC0415

    # The development server is where someone is most likely to expect debug pages, or to
    # think an unconfigured server is ready for respondents: say which it is.
    if sys.argv[1:2] == ["runserver"] and "DJANGO_DEBUG" not in os.environ:
        sys.stderr.write(DEBUG_UNSET_WARNING)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
