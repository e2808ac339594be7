"""The exports workspace, under /workspace/<study>/ (config/urls.py)."""

from django.urls import path

from exports.workspace import views
from exports.workspace.retention import retention_page

app_name = "exports_ws"

urlpatterns = [
    path("exports/", views.export_list, name="jobs"),
    path("exports/new/", views.export_new, name="new"),
    path("exports/<int:job_id>/", views.export_detail, name="job"),
    path("exports/<int:job_id>/files/<str:name>/", views.export_file, name="file"),
    path("retention/", retention_page, name="retention"),
]
