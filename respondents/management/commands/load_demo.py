import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from config.links import site_link
from respondents.services.demo import load_demo
from respondents.services.demo_panel import build_demo_panel


class Command(BaseCommand):
    help = (
        "Load the demo study and print the respondent link and an admin login (links start "
        "with SITE_URL; `make demo` sets it from PORT)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        demo = load_demo()
        panel = build_demo_panel(demo.study)
        summary = {
            "study": demo.study.slug,
            "workspace_url": site_link("/workspace/"),
            "admin_url": site_link("/admin/"),
            "admin_username": demo.admin_username,
            "admin_password": demo.admin_password,
            "dashboard_url": site_link(f"/dashboard/studies/{demo.study.slug}/"),
            "respondent_link": panel.open_wave_link,
            "waves": [wave.pk for wave in panel.waves],
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            "\nPanelwave demo is ready.\n"
            f"  Workspace: {summary['workspace_url']}\n"
            f"  Admin:     {summary['admin_url']}\n"
            f"  Login:     {demo.admin_username} / {demo.admin_password}\n"
            f"  Dashboard: {summary['dashboard_url']}\n"
            f"  Respondent link (wave 3, open): {summary['respondent_link']}\n"
        )
