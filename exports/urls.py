from django.urls import path

from exports.views import DownloadExportView

app_name = "exports"

urlpatterns = [
    path("exports/download/<str:token>/", DownloadExportView.as_view(), name="download"),
]
