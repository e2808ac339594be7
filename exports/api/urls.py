from django.urls import path

from exports.api.views import ExportDownloadLinksView, ExportStatusView, RequestExportView

urlpatterns = [
    path("exports/", RequestExportView.as_view(), name="export-request"),
    path("exports/<int:job_id>/", ExportStatusView.as_view(), name="export-status"),
    path(
        "exports/<int:job_id>/links/",
        ExportDownloadLinksView.as_view(),
        name="export-download-links",
    ),
]
