"""Who may do what on which study: the one place every interface asks.

Roles are per study (StudyMembership). The matrix below names each action and the roles
that may take it; the API permission classes, the dashboard, the admin and the download
links all call `can()` / `studies_visible_to()` rather than reading roles themselves.

- owner: everything, including who has access;
- fieldwork manager: waves, invitations, panel contact details, raw responses;
- researcher: questionnaires, cleaning (flags, paradata, counts), anonymised exports and
  their downloads: the data only as an export scrubs and coarsens it;
- viewer: fieldwork figures only.

Superusers may do everything on every study. A user without a role on a study sees nothing
of it: interfaces answer 404 for its objects, so that its existence does not leak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from surveys.models import Study, StudyMembership, StudyRole

ERROR_UNKNOWN_ROLE = "role {role!r} is not one of {roles}"
ERROR_UNKNOWN_STUDY = "study {slug!r} does not exist"
ERROR_UNKNOWN_USER = "user {username!r} does not exist"
ERROR_NO_ROLE = "user {username!r} has no role on study {slug!r}"
ERROR_NOT_VISIBLE = "Not found."
ERROR_ROLE_LACKS = "Your role on this study does not allow {action}."
ERROR_LAST_OWNER = "user {username!r} is the last owner of study {slug!r}; grant another first"

AnyUser = AbstractBaseUser | AnonymousUser


class AccessError(Exception):
    """A refused change of access; the message names the problem."""


class Action(StrEnum):
    VIEW_FIGURES = "view_figures"
    VIEW_QUESTIONNAIRES = "view_questionnaires"
    EDIT_QUESTIONNAIRES = "edit_questionnaires"
    RUN_WAVES = "run_waves"
    INVITE = "invite"
    SEE_CONTACTS = "see_contacts"
    VIEW_CLEANING = "view_cleaning"
    CLEAN = "clean"
    EXPORT = "export"
    DOWNLOAD = "download"
    UPLOAD_REFERENCES = "upload_references"
    # The panel's members by pseudonym and status (never their contacts: SEE_CONTACTS).
    VIEW_PANEL = "view_panel"
    # Raw responses: unscrubbed free text, exact quasi-identifiers, the member's pseudonym.
    # Only roles that need them for fieldwork, all under two-factor authentication; the
    # others read the data through exports, which scrub and coarsen it.
    VIEW_RESPONSES = "view_responses"
    # The study's own settings: title, languages, consent text.
    EDIT_STUDY = "edit_study"
    MANAGE_ACCESS = "manage_access"
    # Free-text answers as respondents wrote them, to correct their scrubbing before release.
    REVIEW_FREE_TEXT = "review_free_text"
    # Review the linkage of open-link returners: both responses' stable answers side by side.
    LINK_RETURNERS = "link_returners"


_ALL = frozenset(Action)
_RESEARCH = frozenset(
    {
        Action.VIEW_FIGURES,
        Action.VIEW_QUESTIONNAIRES,
        Action.EDIT_QUESTIONNAIRES,
        Action.VIEW_CLEANING,
        Action.CLEAN,
        Action.EXPORT,
        Action.DOWNLOAD,
        Action.UPLOAD_REFERENCES,
    }
)
_FIELDWORK = frozenset(
    {
        Action.VIEW_FIGURES,
        # Opening a wave means choosing a published version, so the manager reads them.
        Action.VIEW_QUESTIONNAIRES,
        Action.RUN_WAVES,
        Action.INVITE,
        Action.VIEW_PANEL,
        Action.SEE_CONTACTS,
        Action.VIEW_CLEANING,
        Action.VIEW_RESPONSES,
        Action.LINK_RETURNERS,
        Action.REVIEW_FREE_TEXT,
    }
)

PERMISSIONS: dict[str, frozenset[Action]] = {
    StudyRole.OWNER: _ALL,
    StudyRole.FIELDWORK_MANAGER: _FIELDWORK,
    StudyRole.RESEARCHER: _RESEARCH,
    StudyRole.VIEWER: frozenset({Action.VIEW_FIGURES}),
}

# Roles whose holders must use two-factor authentication: they can see contact details
# or raw responses.
TWO_FACTOR_ROLES = frozenset(
    role
    for role, actions in PERMISSIONS.items()
    if actions & {Action.SEE_CONTACTS, Action.VIEW_RESPONSES}
)


def _is_superuser(user: AnyUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_superuser", False))


def role_of(user: AnyUser, study: Study | int) -> str | None:
    """The user's role on the study, or None (anonymous users have none)."""
    if not user.is_authenticated:
        return None
    study_id = study if isinstance(study, int) else study.pk
    role: str | None = (
        StudyMembership.objects.filter(study_id=study_id, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )
    return role


def actions_of(user: AnyUser, study: Study | int) -> frozenset[Action]:
    if _is_superuser(user):
        return _ALL
    role = role_of(user, study)
    return PERMISSIONS.get(role, frozenset()) if role else frozenset()


def can(user: AnyUser, action: Action | str, study: Study | int) -> bool:
    """May this user take this action on this study?"""
    return Action(action) in actions_of(user, study)


def require(user: AnyUser, action: Action | str, study: Study | int) -> None:
    """Refuse unless the user may take the action: 404 (Http404) when the study is not
    theirs to see at all, so its existence does not leak; 403 (PermissionDenied) when they
    see it but their role does not allow the action."""
    actions = actions_of(user, study)
    if not actions:
        raise Http404(ERROR_NOT_VISIBLE)
    if Action(action) not in actions:
        raise PermissionDenied(ERROR_ROLE_LACKS.format(action=Action(action).value))


def studies_visible_to(user: AnyUser) -> QuerySet[Study]:
    """Every study the user holds a role on (all of them for a superuser)."""
    if _is_superuser(user):
        return Study.objects.all()
    if not user.is_authenticated:
        return Study.objects.none()
    return Study.objects.filter(memberships__user_id=user.pk).distinct()


def studies_where(user: AnyUser, action: Action | str) -> QuerySet[Study]:
    """The studies on which the user may take the action."""
    if _is_superuser(user):
        return Study.objects.all()
    if not user.is_authenticated:
        return Study.objects.none()
    roles = [role for role, actions in PERMISSIONS.items() if Action(action) in actions]
    return Study.objects.filter(
        memberships__user_id=user.pk, memberships__role__in=roles
    ).distinct()


def may_create_study(user: AnyUser) -> bool:
    """Superusers, holders of Django's `surveys.add_study` permission (granted in the admin)
    and owners of a study may start a new study, of which they become the owner."""
    if not user.is_authenticated:
        return False
    permitted: Any = user  # PermissionsMixin's has_perm; AbstractBaseUser lacks it in typing
    if _is_superuser(user) or permitted.has_perm("surveys.add_study"):
        return True
    return StudyMembership.objects.filter(user_id=user.pk, role=StudyRole.OWNER).exists()


def requires_two_factor(user: AnyUser) -> bool:
    """Users who can see contact details must sign in with a second factor."""
    if not user.is_authenticated:
        return False
    if _is_superuser(user):
        return bool(settings.PANELWAVE_SUPERUSER_2FA)
    return StudyMembership.objects.filter(user_id=user.pk, role__in=TWO_FACTOR_ROLES).exists()


@dataclass(frozen=True)
class Grant:
    study_slug: str
    username: str
    role: str
    created: bool


def _check_role(role: str) -> None:
    if role not in StudyRole.values:
        raise AccessError(ERROR_UNKNOWN_ROLE.format(role=role, roles=", ".join(StudyRole.values)))


def _study_and_user(study_slug: str, username: str) -> tuple[Study, Any]:
    study = Study.objects.filter(slug=study_slug).first()
    if study is None:
        raise AccessError(ERROR_UNKNOWN_STUDY.format(slug=study_slug))
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise AccessError(ERROR_UNKNOWN_USER.format(username=username))
    return study, user


@transaction.atomic  # select_for_update needs a transaction, also when a form calls it
def check_role_change(study: Study, user: Any, role: str | None) -> None:
    """Raise AccessError unless the user's role on the study may become `role` (None:
    no role at all). grant_role and revoke_role call it under lock; forms call it to show
    the refusal before anything is saved."""
    if role is not None:
        _check_role(role)
    # One role change per study at a time: the study row is the lock. Locking only the
    # changed membership would let two owners demote each other at once (each locks a
    # different row, each still counts two owners), leaving the study with none.
    lock_study_for_role_change(study)
    current = StudyMembership.objects.select_for_update().filter(study=study, user=user).first()
    if current is not None and current.role == StudyRole.OWNER and role != StudyRole.OWNER:
        _refuse_last_owner(study, user.get_username())


@transaction.atomic
def grant_role(*, study_slug: str, username: str, role: str) -> Grant:
    """Give the user this role on the study, replacing any role they had there."""
    _check_role(role)
    study, user = _study_and_user(study_slug, username)
    check_role_change(study, user, role)
    membership, created = StudyMembership.objects.update_or_create(
        study=study, user=user, defaults={"role": role}
    )
    return Grant(study.slug, username, membership.role, created)


@transaction.atomic
def revoke_role(*, study_slug: str, username: str) -> None:
    """Remove the user's role on the study; a study always keeps at least one owner."""
    study, user = _study_and_user(study_slug, username)
    lock_study_for_role_change(study)  # before the membership, as grant_role locks them
    membership = StudyMembership.objects.select_for_update().filter(study=study, user=user).first()
    if membership is None:
        raise AccessError(ERROR_NO_ROLE.format(username=username, slug=study_slug))
    check_role_change(study, user, None)
    membership.delete()


def lock_study_for_role_change(study: Study) -> None:
    """Take the study's row lock, which every change of a role on it holds to the end of its
    transaction (check_role_change), so the last-owner check cannot race."""
    list(Study.objects.select_for_update().filter(pk=study.pk).values_list("pk", flat=True))


def _refuse_last_owner(study: Study, username: str) -> None:
    # The caller holds the study's lock (check_role_change), so no other role change of
    # this study runs between this count and the write. (A lock on the counted rows would
    # not do: Django drops FOR UPDATE from count().)
    owners = StudyMembership.objects.filter(study=study, role=StudyRole.OWNER)
    if owners.count() <= 1:
        raise AccessError(ERROR_LAST_OWNER.format(username=username, slug=study.slug))


def members_of(study: Study) -> Iterable[tuple[str, str]]:
    """(username, role) of everyone with access to the study, by username."""
    return (
        StudyMembership.objects.filter(study=study)
        .order_by("user__username")
        .values_list("user__username", "role")
    )
