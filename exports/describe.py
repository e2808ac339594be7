"""The disclosure report in words, for the command, the API and the workspace pages.

`describe_disclosure(report, language)` returns short sentences: why an export is empty,
the release gate's verdict, the share of answers suppressed per quasi-identifier, the
recodings chosen beyond the defaults, and whether ER/n was a gate (only with a declared
population size, docs/methods.md 5.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import override


def describe_disclosure(report: Mapping[str, Any], language: str = "en") -> list[str]:
    with override(language):
        return _sentences(report)


def describe_gate(report: Mapping[str, Any], language: str = "en") -> str:
    """The release gate's sentence alone (the codebook's header line)."""
    with override(language):
        if report.get("restricted"):
            return _restricted()
        return _gate(report)


def _restricted() -> str:
    return _(
        "Restricted release: quasi-identifiers are neither recoded nor suppressed; "
        "for the study team's own analysis only, never to be passed on."
    )


def _gate(report: Mapping[str, Any]) -> str:
    gate = report.get("release_gate") or {}
    k = report.get("k_required")
    if gate.get("passed"):
        return _(
            "Release gate passed: k-anonymous with k = %(k)s (every person shares their "
            "quasi-identifier values with at least %(others)s other people)."
        ) % {"k": k, "others": (k or 1) - 1}
    return _(
        "Release gate FAILED (%(reasons)s): NOT ANONYMOUS, these files are "
        "pseudonymised personal data; do not pass them on."
    ) % {"reasons": "; ".join(gate.get("failures") or [])}


def _generalised(rules: Mapping[str, str]) -> list[str]:
    """A sentence per rule, naming the variables generalised by it (docs/methods.md 5.6)."""
    by_rule: dict[str, list[str]] = {}
    for name, rule in rules.items():
        by_rule.setdefault(rule, []).append(name)
    sentences = {
        "rare_countries_by_region": _(
            "Rare countries merged by UN M49 region (a region with too few people, or a "
            "single country, into its continent, then into 'other'): %(names)s."
        ),
        "countries_as_sub_regions": _(
            "Every country released as its UN M49 sub-region: %(names)s."
        ),
        "countries_as_regions": _("Every country released as its continent: %(names)s."),
        "rare_places_capital_or_other": _(
            "Rarely named places merged into 'a national capital' or 'another place': %(names)s."
        ),
        "places_as_capital_or_other": _(
            "Places released only as 'a national capital' or 'another place': %(names)s."
        ),
    }
    return [
        sentences[rule] % {"names": ", ".join(names)}
        for rule, names in by_rule.items()
        if rule in sentences
    ]


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _sentences(report: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    if report.get("empty_reason"):
        lines.append(
            _("The export holds no rows: %(reason)s.") % {"reason": report["empty_reason"]}
        )
    if report.get("restricted"):
        lines.append(_restricted())
        return lines
    lines.append(_gate(report))
    shares: Mapping[str, float] = report.get("suppressed_share") or {}
    if any(shares.values()):
        listed = ", ".join(f"{name} {_percent(share)}" for name, share in shares.items())
        lines.append(
            _("Answers suppressed for k-anonymity, per quasi-identifier: %(shares)s.")
            % {"shares": listed}
        )
    elif shares:
        lines.append(_("No answer was suppressed."))
    recoded = [name for name, level in (report.get("recoding_level") or {}).items() if level]
    if recoded:
        lines.append(
            _("Recoded more coarsely than the defaults to reach k: %(names)s.")
            % {"names": ", ".join(recoded)}
        )
    lines.extend(_generalised(report.get("generalised") or {}))
    if report.get("global_risk_gated"):
        lines.append(
            _(
                "Expected re-identifications ER/n = %(risk)s (limit %(limit)s), weighted by "
                "the study's population of %(population)s."
            )
            % {
                "risk": f"{report.get('global_risk', 0):.4f}",
                "limit": f"{report.get('max_global_risk', 0):g}",
                "population": report.get("population_size"),
            }
        )
    elif report.get("people"):
        lines.append(
            _(
                "ER/n is not a gate: the study declares no population size (ER = %(er)s "
                "is an upper bound)."
            )
            % {"er": f"{report.get('expected_reidentifications', 0):g}"}
        )
    return lines
