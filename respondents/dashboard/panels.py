"""Parts of the study dashboard that a higher app contributes.

The dashboard lives with fieldwork, below exports in the app layers, so it cannot import
exports. The exports app registers a provider instead (exports/apps.py): a function of the
study and the caller's actions that returns template context for its panel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from surveys.access import Action
from surveys.models import Study

StudyPanel = Callable[[Study, frozenset[Action]], Mapping[str, Any]]

_panels: list[StudyPanel] = []


def register_study_panel(panel: StudyPanel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def study_panels(study: Study, allowed: frozenset[Action]) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for panel in _panels:
        context.update(panel(study, allowed))
    return context
