"""The restricted release: for the study's owners signed in with two factors, quasi-
identifiers neither recoded nor suppressed, identifiers and contacts still excluded, never
the default, and "restricted" in its file names, codebook and audit entry."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied

from exports.models import AuditAction, AuditEntry
from exports.services import request_export
from surveys.models import StudyRole
from tests.exports.exporting import member, use_media
from tests.exports.fixtures import PLANTED_IDENTIFIER, build_three_wave_panel

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


def Verified(user, *, verified: bool):  # noqa: N802 (reads as a type in the tests)
    """The user as django-otp's middleware leaves it: is_verified() says whether this
    session passed the second factor."""
    user.is_verified = lambda: verified
    return user


@pytest.mark.parametrize(
    ("role", "verified"),
    [(StudyRole.RESEARCHER, True), (StudyRole.OWNER, False)],
)
def test_only_owners_with_two_factors_may_ask_for_a_restricted_release(media, role, verified):
    panel = build_three_wave_panel()
    user = Verified(member(panel.study, "someone", role), verified=verified)

    with pytest.raises(PermissionDenied, match="two-factor"):
        request_export(panel.study, requested_by=user, restricted=True, k=2)


def test_a_restricted_release_keeps_quasi_identifiers_and_says_so_everywhere(media):
    panel = build_three_wave_panel()
    owner = Verified(member(panel.study, "owner", StudyRole.OWNER), verified=True)

    job = request_export(panel.study, requested_by=owner, restricted=True, k=2, format="csv")
    job.refresh_from_db()

    names = [f.rsplit("/", 1)[-1] for f in job.files]
    assert all("restricted" in n for n in names if n != "datapackage.json")
    data = next(media / f for f in job.files if f.endswith(".csv"))
    frame = pd.read_csv(data, keep_default_na=False)
    # ages as answered, not banded; nothing suppressed
    ages = {int(a) for a in frame["age"] if a != ""}
    assert any(a % 5 for a in ages)
    assert "-6" not in set(frame["age"].astype(str))
    text = "".join(p.read_text(encoding="utf-8") for p in data.parent.iterdir())
    assert PLANTED_IDENTIFIER not in text
    codebook = next(p for p in data.parent.iterdir() if p.name.endswith("_codebook.md"))
    assert "RESTRICTED" in codebook.read_text(encoding="utf-8")
    built = AuditEntry.objects.get(job=job, action=AuditAction.EXPORT_BUILT)
    assert built.detail["restricted"] is True
    assert job.disclosure_report["restricted"] is True


def test_an_export_is_never_restricted_by_default(media):
    panel = build_three_wave_panel()

    job = request_export(panel.study, requested_by=None, k=2)
    job.refresh_from_db()

    assert job.options["restricted"] is False
    assert not any("restricted" in f for f in job.files)
