"""Respondent-side workspace pages of a study, under /workspace/<slug:study>/."""

from django.urls import path

from respondents.workspace import home

app_name = "fieldwork"

urlpatterns = [
    path("", home.study_home, name="home"),
]
