"""Staff-only middlewares (authentication, django-otp, messages) skip respondent
pages and still run on staff pages; the protections every page needs stay on both."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from tests.respondents.form_helpers import make_wave, start_open

pytestmark = pytest.mark.django_db


def test_respondent_page_has_no_user_or_messages_but_keeps_its_protections():
    # given a respondent past consent, and a browser holding their cookies that checks CSRF
    wave = make_wave()
    client = Client()
    url = start_open(client, wave)
    checked = Client(enforce_csrf_checks=True)
    checked.cookies = client.cookies

    # when they load their page and a post arrives without the CSRF token
    page = checked.get(url)
    forged = checked.post(url, {"_pw_page": "about"})

    # then no staff-only work ran: no user, no message store on the request
    request = page.wsgi_request
    assert not hasattr(request, "user")
    assert not hasattr(request, "_messages")
    # and the page still carries its security headers, and CSRF still refuses the post
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "DENY"
    assert "default-src" in page["Content-Security-Policy"]
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"]
    assert "no-store" in page["Cache-Control"]
    assert forged.status_code == 403


def test_staff_pages_still_authenticate_and_hold_messages(client):
    # when an anonymous visitor opens a staff page
    held = client.get("/workspace/")

    # then authentication ran (the visitor is sent to sign in) and messages are set up
    assert held.status_code == 302
    assert "login" in held["Location"]
    assert held.wsgi_request.user.is_anonymous
    assert hasattr(held.wsgi_request, "_messages")


def test_django_and_library_checks_find_the_middlewares():
    # the admin, messages and axes checks look for their middleware classes in MIDDLEWARE:
    # these subclasses must still satisfy them (check raises on any error)
    call_command("check", fail_level="WARNING")
