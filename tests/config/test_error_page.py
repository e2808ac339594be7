"""The error page a respondent sees when the server fails (PostgreSQL restarting, say):
both languages, what happened to their answers, and nothing loaded from elsewhere."""

from __future__ import annotations

from django.template.loader import render_to_string


def test_the_server_error_page_reassures_in_russian_and_english_without_the_database():
    # No django_db mark: any query while rendering would fail this test.
    html = render_to_string("500.html")

    assert "Ответы на предыдущих страницах сохранены" in html
    assert "Your answers on earlier pages are saved" in html
    assert "http://" not in html
    assert "https://" not in html
