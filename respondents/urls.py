"""Respondent pages. Tokens travel in the path (not a session cookie) so a link opened in
the Telegram in-app browser, or over Tor with cookies cleared, still finds its answers; the
log filter (config/logredact.py) redacts these paths."""

from __future__ import annotations

from django.urls import path

from respondents import views, views_panel

app_name = "respondents"

urlpatterns = [
    path("s/<slug:slug>/", views.open_link_view, name="open"),
    path("i/<str:token>/", views.personal_link_view, name="personal"),
    path("r/<str:token>/", views.resume_view, name="resume"),
    path("r/<str:token>/join/", views.join_panel_view, name="join"),
    path("r/<str:token>/before/", views.took_part_before_view, name="before"),
    path("v/<str:token>/", views.verify_view, name="verify"),
    path("w/<str:token>/", views_panel.withdraw_view, name="withdraw"),
]
