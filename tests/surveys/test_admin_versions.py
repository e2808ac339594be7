"""The questionnaire admin: a published version says in words that it is frozen (a write
to it changes nothing), and choice lists show their codes and labels."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from surveys.admin import ERROR_FROZEN
from surveys.models import Choice, QuestionnaireVersion
from tests.builders import build_version, make_study
from tests.surveys.personas import login_verified, make_team

pytestmark = pytest.mark.django_db

SPEC = [{"name": "p1", "questions": [{"name": "trust", "type": "select_one", "choices": "yn"}]}]
CHOICES = {"yn": [("1", {"en": "Yes", "ru": "Да"}), ("2", {"en": "No", "ru": "Нет"})]}


@pytest.fixture
def alpha():
    return make_study("alpha")


@pytest.fixture
def team(alpha):
    team = make_team(alpha, make_study("beta"))
    models = ["questionnaireversion", "choicelist", "choice", "page", "question"]
    perms = Permission.objects.filter(content_type__model__in=models)
    for user in (team.researcher, team.outsider):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(*perms)
    return team


def _published(study) -> QuestionnaireVersion:
    return build_version(study, SPEC, choices=CHOICES, publish=True)


def test_a_published_version_says_it_is_frozen(client, team, alpha):
    version = _published(alpha)
    login_verified(client, team.researcher)

    page = client.get(f"/admin/surveys/questionnaireversion/{version.pk}/change/", follow=True)

    assert page.status_code == 200
    assert ERROR_FROZEN.format(version=version.pk) in page.content.decode()


def test_a_write_to_a_published_version_is_refused_in_words_and_changes_nothing(
    client, team, alpha
):
    # given
    version = _published(alpha)
    before = version.content_hash
    login_verified(client, team.researcher)

    # when
    posted = client.post(
        f"/admin/surveys/questionnaireversion/{version.pk}/change/", {"notes": "x"}, follow=True
    )
    deleted = client.post(
        f"/admin/surveys/questionnaireversion/{version.pk}/delete/", {"post": "yes"}, follow=True
    )

    # then
    assert posted.status_code == deleted.status_code == 200
    assert ERROR_FROZEN.format(version=version.pk) in deleted.content.decode()
    version.refresh_from_db()
    assert version.content_hash == before
    assert QuestionnaireVersion.objects.filter(pk=version.pk).exists()


def test_choice_lists_show_codes_and_labels_read_only_when_published(client, team, alpha):
    version = _published(alpha)
    choice_list = version.choice_lists.get()
    login_verified(client, team.researcher)

    page = client.get(f"/admin/surveys/choicelist/{choice_list.pk}/change/").content.decode()
    refused = client.post(f"/admin/surveys/choicelist/{choice_list.pk}/delete/", {"post": "yes"})

    assert "Нет" in page
    assert refused.status_code == 403
    assert Choice.objects.filter(choice_list=choice_list).count() == 2


def test_an_outsider_sees_no_choice_list_of_another_study(client, team, alpha):
    version = _published(alpha)
    choice_list = version.choice_lists.get()
    login_verified(client, team.outsider)

    listing = client.get("/admin/surveys/choicelist/").content.decode()
    page = client.get(f"/admin/surveys/choicelist/{choice_list.pk}/change/")

    # The list's row would link to its change page and show its name as the link text; a bare
    # "yn" could also turn up inside a random CSRF token.
    assert f"/admin/surveys/choicelist/{choice_list.pk}/change/" not in listing
    assert ">yn<" not in listing
    assert page.status_code in (302, 404)
