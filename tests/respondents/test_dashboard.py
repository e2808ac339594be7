"""The fieldwork dashboard: figures read off the rendered page, and each role's limits."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from lxml import html  # type: ignore[import-untyped]

from surveys.models import ReferenceDistribution, Study, StudyMembership, StudyRole
from tests.builders import make_study, make_user
from tests.respondents.three_waves import build_three_wave_study
from tests.surveys.personas import login_verified, make_team

pytestmark = pytest.mark.django_db
NO_VALUE = "\N{EN DASH}"


@pytest.fixture
def panel():
    return build_three_wave_study("panel")


@pytest.fixture
def team(panel):
    return make_team(panel.study, make_study("other"))


def _page(client: Client, url: str):
    reply = client.get(url)
    assert reply.status_code == 200, reply.status_code
    return html.fromstring(reply.content.decode())


def _text(node) -> str:
    return " ".join(node.text_content().split())


def _by_id(page, element_id: str):
    return page.get_element_by_id(element_id)


def _cls(node, name: str):
    return node.xpath(f".//*[contains(concat(' ', @class, ' '), ' {name} ')]")[0]


def test_study_page_shows_the_figures_a_team_quotes(client, panel, team):
    # given
    client.force_login(team.researcher)
    # when
    page = _page(client, "/dashboard/studies/panel/")
    # then
    assert _text(_by_id(page, "panel-response-rate")) == "60%"
    assert _text(_by_id(page, "completes")) == "20"
    assert _text(_by_id(page, "participants")) == "9"
    assert _text(_by_id(page, "more-than-once")) == "6"
    assert _text(_by_id(page, "in-all-waves")) == "3"
    rows = {
        row.get("data-wave"): (
            _text(_cls(row, "completes")),
            _text(_cls(row, "response-rate")),
            _text(_cls(row, "retention")),
            _text(_cls(row, "median-duration")),
        )
        for row in _by_id(page, "waves").xpath("./tbody/tr")
    }
    assert rows == {
        "Wave 1": ("10", "80%", NO_VALUE, "14.5 min"),
        "Wave 2": ("6", "60%", "75%", "12.5 min"),
        "Wave 3": ("4", "40%", "50%", "11.5 min"),
    }


def test_study_page_draws_the_funnel_and_per_wave_charts_as_inline_svg(client, panel, team):
    client.force_login(team.researcher)
    page = _page(client, "/dashboard/studies/panel/")
    funnel = _by_id(page, "funnel").xpath(".//svg")[0]
    assert [t.text_content() for t in funnel.xpath(".//text")][1::2] == ["8", "6 (75%)", "3 (50%)"]
    wave_1 = _by_id(page, f"wave-{panel.waves[0].pk}")
    assert len(wave_1.xpath(".//svg")) == 4
    country_chart = wave_1.xpath(".//svg")[3]
    labels = [t.text_content() for t in country_chart.xpath(".//text")]
    assert labels == ["Georgia", "7", "Armenia", "3"]
    assert "Not cleaned yet." in wave_1.text_content()


def test_viewer_sees_figures_but_not_exports(client, panel, team):
    client.force_login(team.viewer)
    page = _page(client, "/dashboard/studies/panel/")
    assert _text(_by_id(page, "in-all-waves")) == "3"
    assert not page.xpath("//*[@id='exports']")
    assert "Exports" not in page.text_content()


def test_researcher_sees_the_exports_section(client, panel, team):
    client.force_login(team.researcher)
    page = _page(client, "/dashboard/studies/panel/")
    assert "No exports yet." in page.text_content()


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/studies/panel/",
        "/dashboard/studies/panel/references/",
        "/dashboard/studies/nonexistent/",
    ],
)
def test_researcher_of_another_study_gets_not_found(client, panel, team, url):
    client.force_login(team.outsider)
    assert client.get(url).status_code == 404


def test_home_lists_only_the_users_studies(client, panel, team):
    client.force_login(team.outsider)
    page = _page(client, "/dashboard/")
    assert [a.text_content() for a in page.xpath("//td/a")] == ["Study other"]


def test_anonymous_visitors_are_sent_to_the_login_page(client, panel):
    reply = client.get("/dashboard/studies/panel/")
    assert reply.status_code == 302
    assert reply["Location"].startswith("/accounts/login/?next=")


def test_owner_must_pass_the_second_factor_before_the_dashboard(client, panel, team):
    client.force_login(team.owner)
    reply = client.get("/dashboard/studies/panel/")
    assert reply.status_code == 302
    assert reply["Location"].startswith("/accounts/two-factor/?next=")
    login_verified(client, team.owner)
    assert client.get("/dashboard/studies/panel/").status_code == 200


def test_preview_renders_the_version_as_a_respondent_sees_it(client, panel, team):
    client.force_login(team.researcher)
    page = _page(client, f"/dashboard/versions/{panel.version.pk}/preview/?lang=ru")
    text = page.text_content()
    assert "Страна" in text
    assert "Доверие" in text
    assert page.xpath("//fieldset[@disabled]")
    assert not page.xpath("//form[contains(@class, 'survey-page')]")


def test_preview_is_refused_to_viewers_and_hidden_from_outsiders(client, panel, team):
    client.force_login(team.viewer)
    assert client.get(f"/dashboard/versions/{panel.version.pk}/preview/").status_code == 403
    client.force_login(team.outsider)
    assert client.get(f"/dashboard/versions/{panel.version.pk}/preview/").status_code == 404


REFERENCE_CSV = b"concept,source,country,category,share\ntrust_people,WVS-7,DE,1,0.42\ntrust_people,WVS-7,DE,2,58%\n"


def _upload(client: Client, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("wvs.csv", content, content_type="text/csv")
    return client.post("/dashboard/studies/panel/references/", {"file": upload})


def test_reference_upload_shows_the_study_beside_the_reference(client, panel, team):
    # given
    client.force_login(team.researcher)
    # when
    reply = _upload(client, REFERENCE_CSV)
    page = _page(client, "/dashboard/studies/panel/references/")
    # then
    assert reply.status_code == 302
    rows = [
        [_text(td) for td in tr.xpath("./td")]
        for tr in _by_id(page, "concept-trust_people").xpath(".//tbody/tr")
    ]
    assert rows == [
        ["Most people can be trusted (1)", "75%", "42%"],
        ["Need to be very careful (2)", "25%", "58%"],
    ]
    assert _by_id(page, "concept-trust_people").xpath(".//svg")


def test_reference_upload_with_bad_rows_names_them_and_stores_nothing(client, panel, team):
    client.force_login(team.researcher)
    bad = REFERENCE_CSV + b"no_such_concept,WVS-7,DE,1,0.5\ntrust_people,WVS-7,FR,1,1.7\n"
    reply = _upload(client, bad)
    assert reply.status_code == 400
    page = html.fromstring(reply.content.decode())
    assert [li.text_content() for li in _by_id(page, "upload-errors").xpath("./li")] == [
        "row 4: column 'concept': 'no_such_concept' is neither in the item bank nor "
        "harmonised by this study",
        "row 5: column 'share': '1.7' is not a number between 0 and 1 (or 0-100%)",
    ]
    assert ReferenceDistribution.objects.count() == 0


def test_viewer_cannot_upload_references(client, panel, team):
    client.force_login(team.viewer)
    assert _upload(client, REFERENCE_CSV).status_code == 403
    assert ReferenceDistribution.objects.count() == 0


def test_dashboard_speaks_russian(client, panel, team):
    client.force_login(team.researcher)
    client.cookies["django_language"] = "ru"
    page = _page(client, "/dashboard/studies/panel/")
    assert "уровень ответов панели" in page.text_content()


@pytest.mark.slow
def test_the_demo_study_dashboard_shows_its_three_wave_figures(client):
    # given: `make demo`'s study (seeded synthetic data, so the figures are fixed)
    from django.core.management import call_command

    call_command("load_demo", "--json", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client.force_login(make_user("reader"))
    StudyMembership.objects.create(
        study=Study.objects.get(slug="demo"),
        user=User.objects.get(username="reader"),
        role=StudyRole.VIEWER,
    )
    # when
    page = _page(client, "/dashboard/studies/demo/")
    # then
    assert _text(_by_id(page, "panel-response-rate")) == "63%"
    assert _text(_by_id(page, "more-than-once")) == "211"
    assert _text(_by_id(page, "in-all-waves")) == "118"
    assert "in all 3 waves" in _text(_by_id(page, "in-all-waves").getparent())
    rows = {
        row.get("data-wave"): (_text(_cls(row, "completes")), _text(_cls(row, "retention")))
        for row in _by_id(page, "waves").xpath("./tbody/tr")
    }
    # (waves 2 and 3 hold 11 and 10 completes of earlier respondents who lost their link)
    assert rows == {"Wave 1": ("228", NO_VALUE), "Wave 2": ("236", "70%"), "Wave 3": ("228", "73%")}


@pytest.mark.slow
def test_the_demo_study_has_returners_to_review(client):
    # given: `make demo`'s study, where earlier respondents came back without their link
    from django.core.management import call_command

    from respondents.models import ResponseLink

    call_command("load_demo", "--json", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # when: the suggestions load_demo computed for wave 2
    links = ResponseLink.objects.filter(response__wave__name="Wave 2")
    lost = links.filter(response__source_id__contains="-lost-")
    # then: the review page has pairs, and most of the returners are suggested first
    assert links.exists()
    assert lost.count() >= 8
    assert lost.filter(probability__gte=0.5).count() >= 6


def test_dashboard_shows_states_roles_and_units_in_russian(client, panel, team):
    client.force_login(team.researcher)
    client.cookies["django_language"] = "ru"
    page = _page(client, "/dashboard/studies/panel/")
    rows = {
        row.get("data-wave"): (_text(row.xpath("./td")[1]), _text(_cls(row, "median-duration")))
        for row in _by_id(page, "waves").xpath("./tbody/tr")
    }
    assert rows["Wave 1"] == ("Закрыта", "14,5 мин")
    assert rows["Wave 3"][0] == "Открыта"
    home = _page(client, "/dashboard/")
    assert [_text(td) for td in home.xpath("//tbody/tr/td[2]")] == ["Исследователь"]


def test_headline_counts_carry_thousands_separators_per_language(client, panel, team):
    # given a study whose counts run into the thousands
    from respondents.models import Response, ResponseStatus

    started = panel.waves[0].opens_at
    Response.objects.bulk_create(
        Response(
            wave=panel.waves[0],
            status=ResponseStatus.COMPLETED,
            started_at=started,
            completed_at=started,
            current_page="end",
        )
        for _ in range(2150)
    )
    client.force_login(team.researcher)
    # then
    assert _text(_by_id(_page(client, "/dashboard/studies/panel/"), "completes")) == "2,170"
    client.cookies["django_language"] = "ru"
    russian = _by_id(_page(client, "/dashboard/studies/panel/"), "completes")
    assert russian.text_content() == "2\N{NO-BREAK SPACE}170"


def test_the_wave_table_links_each_waves_version_preview(client, panel, team):
    client.force_login(team.researcher)
    page = _page(client, "/dashboard/studies/panel/")
    links = {a.get("href") for a in page.xpath("//td[@class='preview']/a")}
    assert links == {f"/dashboard/versions/{panel.version.pk}/preview/"}
    client.force_login(team.viewer)
    assert _page(client, "/dashboard/studies/panel/").xpath("//td[@class='preview']") == []
