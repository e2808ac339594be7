"""The workspace's pages owned by the surveys app, under /workspace/."""

from django.urls import path

from surveys.workspace import views

app_name = "workspace"

VERSION = "<slug:study>/questionnaires/versions/<int:version_id>/"

urlpatterns = [
    path("", views.my_studies, name="home"),
    # "new" is a reserved slug (surveys/services/studies.py), so no study hides this page.
    path("new/", views.new_study, name="new"),
    path("<slug:study>/settings/", views.study_settings, name="settings"),
    path("<slug:study>/members/", views.members, name="members"),
    path("<slug:study>/questionnaires/", views.questionnaires, name="questionnaires"),
    path("<slug:study>/questionnaires/upload/", views.upload, name="upload"),
    path(VERSION, views.version_detail, name="version"),
    path(f"{VERSION}publish/", views.publish, name="publish"),
    path(f"{VERSION}fork/", views.fork, name="fork"),
]
