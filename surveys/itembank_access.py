"""Who may change the shared item bank: superusers, and holders of the project-wide
`surveys.edit_item_bank` permission. Every study's questionnaires harmonise against it, so
a role on one study (even owner), or the generic model permissions study staff may hold
for the admin, never suffice."""

from __future__ import annotations

from typing import Any

EDIT_ITEM_BANK = "surveys.edit_item_bank"


def may_edit_item_bank(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    # has_perm, not a study role: a permission given to the user or a group on purpose.
    return bool(user.has_perm(EDIT_ITEM_BANK))
