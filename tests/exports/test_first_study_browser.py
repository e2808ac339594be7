# ruff: noqa: RUF001  (Russian labels are meant to be Cyrillic)
"""A first study in Chromium, from sign-in to a file read back: the staff journey that
docs/first-study.md walks through, with its screenshots taken on the way.

An owner signs in with two-factor authentication, creates a study, uploads a bilingual
XLSForm, previews and publishes it, opens a wave; three respondents answer it in their own
browser contexts (one fails the attention check); the owner runs the cleaning rules,
overrides a flag with a reason, requests an SPSS export, reads its verdict, downloads the
file and it is read back with pyreadstat. Every staff page is used at phone width.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyreadstat
from django.contrib.auth.models import Permission
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from exports.models import ExportJob, ExportStatus
from exports.workspace.verdict import describe_report
from respondents.models import FlagOverride, QualityFlag, Response, ResponseStatus, Wave
from surveys.models import QuestionnaireVersion, Study, StudyMembership, StudyRole
from tests.browser import PHONE, browser_marks, chromium, no_sideways_scroll, screenshot
from tests.builders import make_study, make_user
from tests.surveys.forms import write_form

pytestmark = browser_marks

SURVEY = [
    [
        "type",
        "name",
        "label::English (en)",
        "label::Русский (ru)",
        "constraint",
        "required",
        "privacy",
        "attention_check",
        "appearance",
    ],
    ["begin group", "about", "About you", "О вас", "", "", "", "", "field-list"],
    ["integer", "age", "Your age", "Ваш возраст", ". >= 18 and . <= 110", "yes", "quasi", "", ""],
    [
        "select_one trust",
        "trust_people",
        "Can most people be trusted?",
        "Можно ли доверять людям?",
        "",
        "yes",
        "",
        "",
        "",
    ],
    ["end group", "", "", "", "", "", "", "", ""],
    [
        "select_one agree",
        "check",
        "To show you read this, choose 'Agree'",
        "Чтобы показать, что вы читаете, выберите «Согласен»",
        "",
        "yes",
        "",
        "agree",
        "",
    ],
    ["text", "comment", "Anything else?", "Что-нибудь ещё?", "", "", "", "", ""],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Русский (ru)"],
    ["trust", "1", "Most people can be trusted", "Большинству людей можно доверять"],
    ["trust", "2", "You need to be very careful", "Нужно быть очень осторожным"],
    ["agree", "agree", "Agree", "Согласен"],
    ["agree", "disagree", "Disagree", "Не согласен"],
]
# Three respondents: (language, age, trust, attention answer).
RESPONDENTS = [
    ("en", "34", "1", "agree"),
    ("ru", "29", "2", "agree"),
    ("en", "41", "1", "disagree"),
]


def _sign_in_with_second_factor(page: Any, base: str, device: TOTPDevice) -> None:
    page.goto(f"{base}/accounts/login/?next=/workspace/")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", "pw-olga")
    page.locator("main form [type=submit]").click()
    assert "/accounts/two-factor/" in page.url
    code = totp(device.bin_key, step=device.step, digits=device.digits)
    page.fill("input[name=token]", f"{code:0{device.digits}d}")
    page.locator("main form [type=submit]").click()
    assert page.url == f"{base}/workspace/"


def _staff_page(page: Any, name: str) -> None:
    assert "CSRF" not in page.content()
    assert no_sideways_scroll(page), f"{page.url} scrolls sideways on a phone"
    screenshot(page, name)


def _create_study(page: Any, base: str) -> None:
    page.goto(f"{base}/workspace/new/")
    page.fill("input[name=title]", "Emigration panel")
    page.fill("input[name=slug]", "emigration")
    page.check("#languages input[value=en]")
    page.check("#languages input[value=ru]")
    page.select_option("select[name=default_language]", "en")
    page.fill("textarea[name=consent_en]", "We ask about your life abroad. Answers are anonymous.")
    page.fill("textarea[name=consent_ru]", "Мы спрашиваем о жизни за границей. Ответы анонимны.")
    _staff_page(page, "first-study-1-new-study.png")
    page.locator("#study-form [type=submit]").click()
    assert page.url == f"{base}/workspace/emigration/"


def _upload_preview_publish(page: Any, base: str, form: Path) -> None:
    page.goto(f"{base}/workspace/emigration/questionnaires/")
    page.set_input_files("input[name=file]", str(form))
    page.fill("input[name=name]", "main")
    page.locator("#upload [type=submit]").click()
    assert "/questionnaires/versions/" in page.url
    _staff_page(page, "first-study-2-version.png")
    version_page = page.url
    for language, wording in (("ru", "Ваш возраст"), ("en", "Your age")):
        page.locator(f"#preview-links a[lang={language}]").click()
        assert wording in page.content()
        if language == "ru":
            _staff_page(page, "first-study-3-preview.png")
        page.goto(version_page)
    page.locator("#publish [type=submit]").click()
    assert "Published" in page.locator("#version-state").inner_text()


def _open_wave(page: Any, base: str) -> dict[str, str]:
    page.goto(f"{base}/workspace/emigration/waves/new/")
    page.fill("input[name=name]", "Spring 2026")
    version = QuestionnaireVersion.objects.get(questionnaire__study__slug="emigration")
    page.select_option("select[name=version]", str(version.pk))
    page.fill("input[name=channels]", "tg_news, email")
    _staff_page(page, "first-study-4-open-wave.png")
    page.get_by_role("button", name="Save the wave").click()
    assert page.locator("#wave-state").inner_text() == "Open"
    _staff_page(page, "first-study-5-wave.png")
    return {
        field.get_attribute("data-channel"): field.input_value()
        for field in page.locator("#wave-links input").all()
    }


def _answer(browser: Any, link: str, language: str, age: str, trust: str, check: str) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.goto(f"{link}&lang={language}")
    shots = language == "ru" and check == "agree"
    if shots:
        screenshot(page, "first-study-6-respondent-consent.png")
    page.locator("form.survey-page button.primary").click()
    answers = {"age": age, "trust_people": trust, "check": check, "comment": "всё хорошо"}
    for number in range(1, 6):
        if page.locator("input[name=age]").count():
            page.fill("input[name=age]", answers["age"])
        for name in ("trust_people", "check"):
            choice = page.locator(f"input[name={name}][value='{answers[name]}']")
            if choice.count():
                choice.check()
        if page.locator("input[name=comment], textarea[name=comment]").count():
            page.locator("input[name=comment], textarea[name=comment]").fill(answers["comment"])
        if shots:
            screenshot(page, f"first-study-6-respondent-page-{number}.png")
        page.locator("button[value=next]").click()
        # The thank-you page has no "next" button (only the offer to join the panel).
        if not page.locator("button[value=next]").count():
            break
    assert page.locator("h1").inner_text() in ("Thank you!", "Спасибо!")
    context.close()


def _clean_and_override(page: Any, base: str, wave: Wave) -> None:
    page.goto(f"{base}/workspace/emigration/waves/{wave.pk}/cleaning/")
    page.get_by_role("button", name="Run the cleaning rules now").click()
    assert page.locator("#cleaning-summary").count()
    failed = Response.objects.get(wave=wave, answers__check="disagree")
    flag = QualityFlag.objects.get(response=failed, rule__startswith="attention")
    _staff_page(page, "first-study-7-cleaning.png")
    card = page.locator(f"section[data-rule='{flag.rule}'] li[data-response='{failed.pk}']")
    card.locator("input[name=reason]").fill("Misread the check; the other answers hold up.")
    card.get_by_role("button", name="Override").click()
    assert "no longer applies" in page.locator(".messages").inner_text()


def _export(page: Any, base: str, tmp_path: Path) -> tuple[ExportJob, Path]:
    page.goto(f"{base}/workspace/emigration/exports/new/")
    page.check("input[name=format][value=sav]")
    page.check("input[name=include_flagged]")
    # Three respondents can never be 5-anonymous at a 1% risk: for this walk-through only.
    page.fill("input[name=k]", "2")
    page.fill("input[name=max_global_risk]", "0.5")
    _staff_page(page, "first-study-8-export-form.png")
    page.get_by_role("button", name="Request the export").click()
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE, job.error
    page.reload()
    assert page.locator("#job-status").inner_text() == "Done"
    assert (
        page.locator("#verdict-headline").inner_text()
        == describe_report(job.disclosure_report).verdict[0]
    )
    _staff_page(page, "first-study-9-export.png")
    sav = page.locator("#files a", has_text=".sav")
    with page.expect_download() as download_info:
        sav.click()
    target = tmp_path / "emigration.sav"
    download_info.value.save_as(str(target))
    return job, target


def test_an_owner_runs_a_first_study_from_questionnaire_to_spss_file(
    live_server, settings, tmp_path, monkeypatch
):
    # The walk reads the database between pages, inside Playwright's event loop; the reads
    # are the test's own, on its own thread, so Django's async guard does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # given: Olga owns a pilot study, so she signs in with her authenticator and may start
    # a new study; links are built from SITE_URL, here the test server's address
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    olga = make_user("olga")
    StudyMembership.objects.create(study=make_study("pilot"), user=olga, role=StudyRole.OWNER)
    olga.user_permissions.add(Permission.objects.get(codename="add_study"))
    device = TOTPDevice.objects.create(user=olga, name="authenticator", confirmed=True)
    form = write_form(tmp_path / "emigration.xlsx", SURVEY, CHOICES)
    base = live_server.url

    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
        _sign_in_with_second_factor(page, base, device)
        _create_study(page, base)
        _upload_preview_publish(page, base, form)
        links = _open_wave(page, base)
        for language, age, trust, check in RESPONDENTS:
            _answer(browser, links["tg_news"], language, age, trust, check)
        wave = Wave.objects.get(study__slug="emigration")
        _clean_and_override(page, base, wave)
        job, sav = _export(page, base, tmp_path)

    # then: the study, its wave and three completes with their channel and language
    study = Study.objects.get(slug="emigration")
    assert (list(study.languages), study.default_language) == (["en", "ru"], "en")
    responses = Response.objects.filter(wave=wave).order_by("started_at")
    assert [(r.status, r.channel, r.language) for r in responses] == [
        (ResponseStatus.COMPLETED, "tg_news", language) for language, *_ in RESPONDENTS
    ]
    assert FlagOverride.objects.get().decided_by == olga
    # the SPSS file holds the three respondents, labelled in the study's default language
    frame, meta = pyreadstat.read_sav(str(sav))
    assert len(frame) == job.rows == 3
    assert sorted(frame["trust_people"].tolist()) == [1, 1, 2]
    labels = meta.variable_value_labels["trust_people"]
    assert (labels[1], labels[2]) == ("Most people can be trusted", "You need to be very careful")
