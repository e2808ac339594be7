"""An export's disclosure report in words, for the export's page.

The verdict and the suppressions are exports.describe's sentences, the same the
export_data command and the API give; this adds, for the page, what those leave to the
JSON report: how each quasi-identifier was coarsened and how much free text was scrubbed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from exports.describe import describe_disclosure

# Free-text findings by the scrubber's entity name, in words.
SCRUBBED_KINDS = {
    "EMAIL_ADDRESS": gettext_lazy("e-mail addresses"),
    "PHONE_NUMBER": gettext_lazy("phone numbers"),
    "RU_PHONE": gettext_lazy("phone numbers"),
    "TELEGRAM": gettext_lazy("Telegram handles and links"),
    "URL": gettext_lazy("web links"),
    "IP_ADDRESS": gettext_lazy("IP addresses"),
    "CREDIT_CARD": gettext_lazy("card numbers"),
    "ID_NUMBER": gettext_lazy("identity document numbers"),
    "PERSON": gettext_lazy("people's names"),
    "LOCATION": gettext_lazy("street addresses"),
}


@dataclass(frozen=True)
class ReportInWords:
    # None: the export has no report yet (queued, running, failed).
    passed: bool | None
    # The verdict first, then what it rests on (exports.describe).
    verdict: list[str] = field(default_factory=list)
    coarsened: list[str] = field(default_factory=list)
    scrubbed: list[str] = field(default_factory=list)


def _coarsened(report: Mapping[str, Any]) -> list[str]:
    return [
        _("%(variable)s coarsened: %(how)s.") % {"variable": name, "how": "; ".join(notes)}
        for name, notes in sorted((report.get("coarsening") or {}).items())
        if notes
    ]


def _scrubbed(report: Mapping[str, Any]) -> list[str]:
    return [
        _("Free text: %(count)d %(kind)s replaced by a tag.")
        % {"count": count, "kind": SCRUBBED_KINDS.get(kind, kind)}
        for kind, count in sorted((report.get("scrubbed") or {}).items())
        if count
    ]


def describe_report(report: Mapping[str, Any]) -> ReportInWords:
    """The verdict and what was given up for it, in the active language."""
    if not report:
        return ReportInWords(passed=None, verdict=[_("No disclosure report yet.")])
    gate = report.get("release_gate") or {}
    language = (get_language() or "en").split("-")[0]
    return ReportInWords(
        passed=bool(gate.get("passed")) and not report.get("restricted"),
        verdict=describe_disclosure(report, language),
        coarsened=_coarsened(report),
        scrubbed=_scrubbed(report),
    )
