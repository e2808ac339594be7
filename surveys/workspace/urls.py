"""The workspace's pages owned by the surveys app, under /workspace/."""

from django.urls import path

from surveys.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.my_studies, name="home"),
]
