import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from respondents.services.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo study and print the respondent link and an admin login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        demo = load_demo()
        base = f"http://127.0.0.1:{options['port']}" if settings.DEBUG else settings.SITE_URL
        summary = {
            "study": demo.study.slug,
            "admin_url": f"{base}/admin/",
            "admin_username": demo.admin_username,
            "admin_password": demo.admin_password,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            "\nPanelwave demo is ready.\n"
            f"  Admin:     {summary['admin_url']}\n"
            f"  Login:     {demo.admin_username} / {demo.admin_password}\n"
        )
