from django.urls import path

from respondents.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("studies/<slug:slug>/", views.study, name="study"),
    path("studies/<slug:slug>/references/", views.references, name="references"),
    path("versions/<int:version_id>/preview/", views.preview_version, name="preview"),
]
