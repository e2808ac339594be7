"""An export's disclosure report said in words, for the staff pages.

The report (exports/anonymise/disclosure.py) is JSON made for machines and auditors; a
team deciding whether it may pass a file on needs the verdict and what was given up for
it in sentences. Only the report's own fields are read, so an older report reads too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

# Shown where a figure is unknown, as the dashboard does.
NO_VALUE = "\N{EN DASH}"

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
    headline: str
    reasons: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    scrubbed: list[str] = field(default_factory=list)


def _percent(value: float) -> str:
    return f"{value:.2%}"


def _headline(report: Mapping[str, Any], passed: bool) -> str:
    if not passed:
        return _(
            "Not anonymous: the release checks failed. Treat these files as pseudonymised "
            "personal data and do not pass them on."
        )
    if not report.get("quasi_identifiers"):
        return _(
            "Released without quasi-identifiers: no item is marked as one, so nothing could "
            "single a respondent out by combination, and nothing was suppressed for it."
        )
    return _(
        "Anonymous by the release checks: every combination of the quasi-identifiers is "
        "shared by at least %(k)d respondents, and the expected re-identification rate is "
        "within its limit."
    ) % {"k": report.get("k_required", 0)}


def _reasons(report: Mapping[str, Any]) -> list[str]:
    reasons = []
    reached, required = report.get("k_reached"), report.get("k_required")
    if reached is not None and required is not None and reached < required:
        reasons.append(
            _(
                "Some combination of quasi-identifiers is shared by only %(reached)d "
                "respondents, fewer than the %(k)d asked for."
            )
            % {"reached": reached, "k": required}
        )
    risk, limit = report.get("global_risk"), report.get("max_global_risk")
    if risk is not None and limit is not None and risk > limit:
        reasons.append(
            _("The expected re-identification rate, %(risk)s, is above the limit of %(limit)s.")
            % {"risk": _percent(risk), "limit": _percent(limit)}
        )
    return reasons


def _measures(report: Mapping[str, Any]) -> list[str]:
    measures = [
        ngettext("%(rows)d row released.", "%(rows)d rows released.", report.get("rows", 0))
        % {"rows": report.get("rows", 0)}
    ]
    quasi: Sequence[str] = report.get("quasi_identifiers") or []
    if quasi:
        measures.append(
            _("Quasi-identifiers: %(names)s, checked within %(within)s.")
            % {"names": ", ".join(quasi), "within": report.get("checked_within", "")}
        )
        measures.append(
            _(
                "Smallest group sharing a combination: %(reached)s (k asked: %(k)s); "
                "respondents unique on them: %(uniques)s."
            )
            % {
                "reached": report.get("k_reached", NO_VALUE),
                "k": report.get("k_required", NO_VALUE),
                "uniques": report.get("sample_uniques", 0),
            }
        )
    if report.get("global_risk_gated") is False:
        # No declared population size: ER/n is an upper bound, not a gate (methods 5.6).
        measures.append(
            _(
                "Expected re-identification rate: at most %(risk)s (not a gate: the study "
                "declares no population size)."
            )
            % {"risk": _percent(report.get("global_risk", 0.0))}
        )
    elif report.get("global_risk") is not None:
        measures.append(
            _("Expected re-identification rate: %(risk)s (limit %(limit)s).")
            % {
                "risk": _percent(report["global_risk"]),
                "limit": _percent(report.get("max_global_risk", 0.0)),
            }
        )
    return measures


def _suppressed(report: Mapping[str, Any]) -> list[str]:
    rows = report.get("rows") or 0
    lines = []
    for name, notes in sorted((report.get("coarsening") or {}).items()):
        lines.append(
            _("%(variable)s coarsened: %(how)s.") % {"variable": name, "how": "; ".join(notes)}
        )
    for key, text in (
        ("suppressions", _("%(variable)s: %(count)d values suppressed (%(share)s of rows).")),
        (
            "risk_suppressions",
            _(
                "%(variable)s: %(count)d further values suppressed (%(share)s of rows) to "
                "bring the risk within its limit."
            ),
        ),
    ):
        shares = report.get("suppressed_share") or {}
        for name, count in sorted((report.get(key) or {}).items()):
            if count:
                share = _percent(shares[name]) if name in shares else NO_VALUE
                if name not in shares and rows:
                    share = _percent(count / rows)
                lines.append(text % {"variable": name, "count": count, "share": share})
    return lines


def _scrubbed(report: Mapping[str, Any]) -> list[str]:
    return [
        _("Free text: %(count)d %(kind)s replaced by a tag.")
        % {"count": count, "kind": SCRUBBED_KINDS.get(kind, kind)}
        for kind, count in sorted((report.get("scrubbed") or {}).items())
        if count
    ]


def describe_report(report: Mapping[str, Any]) -> ReportInWords:
    """The verdict and what was suppressed, in sentences of the active language."""
    if not report:
        return ReportInWords(passed=None, headline=_("No disclosure report yet."))
    gate = report.get("release_gate") or {}
    passed = bool(gate.get("passed", report.get("k_anonymous", False)))
    return ReportInWords(
        passed=passed,
        headline=_headline(report, passed),
        reasons=[] if passed else _reasons(report),
        measures=_measures(report),
        suppressed=_suppressed(report),
        scrubbed=_scrubbed(report),
    )
