"""retention: apply the studies' retention periods now, or with --dry-run say what will go
when (the same figures the workspace shows)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.retention import apply_retention, retention_plan
from surveys.models import Study

ERROR_STUDY = "no study with the slug {slug!r}"
KIND_WORDS = {
    "contacts": "contact details",
    "unfinished_responses": "unfinished responses",
    "export_jobs": "exports (their files)",
}


class Command(BaseCommand):
    help = (
        "Delete contact details, unfinished responses and export files past their study's "
        "retention periods (the daily task does this); --dry-run lists what will go when."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="delete nothing; list dates")
        parser.add_argument("--study", default="", help="one study's slug (--dry-run only)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            self._preview(options["study"], as_json=options["json"])
            return
        if options["study"]:
            raise CommandError("--study works with --dry-run; retention applies to every study")
        runs = apply_retention()
        if options["json"]:
            self.stdout.write(json.dumps({"studies": [asdict(run) for run in runs]}))
            return
        for run in runs:
            self.stdout.write(
                f"{run.study}: deleted {run.contacts} contact details, "
                f"{run.unfinished_responses} unfinished responses, {run.export_jobs} exports"
            )

    def _preview(self, slug: str, *, as_json: bool) -> None:
        studies = Study.objects.order_by("slug")
        if slug:
            studies = studies.filter(slug=slug)
            if not studies.exists():
                raise CommandError(ERROR_STUDY.format(slug=slug))
        plans = [retention_plan(study) for study in studies]
        if as_json:
            payload = [
                {
                    "study": plan.study,
                    "policy": asdict(plan.policy),
                    "ended_at": plan.ended_at.isoformat() if plan.ended_at else None,
                    "due": [
                        {"kind": d.kind, "day": d.day.isoformat(), "count": d.count}
                        for d in plan.due
                    ],
                }
                for plan in plans
            ]
            self.stdout.write(json.dumps({"studies": payload}))
            return
        for plan in plans:
            policy = plan.policy
            self.stdout.write(
                f"{plan.study}: contacts {policy.contact_days} days after the study ends or a "
                f"member leaves, unfinished responses {policy.unfinished_days} days, exports "
                f"{policy.export_days} days"
            )
            for due in plan.due:
                self.stdout.write(
                    f"  {due.day.isoformat()}  {due.count:>6}  {KIND_WORDS[due.kind]}"
                )
            if not plan.due:
                self.stdout.write("  nothing scheduled")
