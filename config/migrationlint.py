"""`python -m config.migrationlint [APP ...]`: refuse migrations the running release could
not live with (make test runs it; docs/operations.md explains expand, then contract).

During an upgrade the previous release keeps serving respondents while `migrate` runs, so
a migration must not drop or rename what that code reads, nor add a NOT NULL column it
would not fill. django-migration-linter reads each migration's SQL and says which do.
Exits 1 and names them when any does.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit

# Our apps; Django's and third parties' migrations are theirs to keep compatible.
APPS = ("surveys", "respondents", "exports")
# Written before the first release, when no older code ran against the schema: each adds a
# column with a Python-side default (the old code would leave it NULL). From the first
# release on, a migration adds the column nullable instead, and a later release fills and
# tightens it; nothing is added here after that.
BASELINE = (
    "0002_cleaning_run_status",
    "0005_flag_override_history",
    "0005_study_neutral_title_leave_url",
    "0006_nested_groups_calculations",
)
# Flagged by the linter and read by a person who found the running release unaffected,
# each with why.
REVIEWED = {
    # Widens surveys_choice.name from varchar(100) to varchar(255): PostgreSQL changes only
    # the catalogue, and the previous release writes names of at most 100 characters.
    "0016_choice_name_length": "a varchar widened",
    # Drops the response indexes on fingerprint (two) and wave_id: no query of either
    # release looks a response up by fingerprint, and (wave_id, status) and (wave_id,
    # source_id) serve every lookup by wave. DROP INDEX holds its lock only for the
    # catalogue change.
    "0010_response_fewer_indexes": "unused indexes dropped",
}


def _server_only(url: str) -> str:
    """The linter only renders SQL, but Django connects first; PostgreSQL's maintenance
    database always exists, where the project's may not yet (a fresh CI machine)."""
    parts = urlsplit(url)
    if parts.scheme.startswith("postgres"):
        return urlunsplit(parts._replace(path="/postgres"))
    return url


def main(apps: list[str]) -> int:
    if os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = _server_only(os.environ["DATABASE_URL"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # noqa: PLC0415 (after the environment is set)

    django.setup()
    from django_migration_linter import MigrationLinter  # noqa: PLC0415 (needs Django set up)

    linter = MigrationLinter(
        ".",
        include_apps=apps or list(APPS),
        ignore_name=[*BASELINE, *REVIEWED],
        ignore_initial_migrations=True,
        no_cache=True,
        quiet=["ok", "ignore"],
    )
    linter.lint_all_migrations()
    linter.print_summary()
    return 1 if linter.has_errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
