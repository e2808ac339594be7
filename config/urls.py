from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from config.api import SwaggerView, api_not_found
from config.health import healthz
from config.landing import landing
from respondents.views_telegram import telegram_webhook_view

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("config.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dashboard/", include("respondents.dashboard.urls")),
    # The staff workspace: surveys' pages (the caller's studies, a new study, questionnaires,
    # members) and each app's study pages under workspace/<slug:study>/.
    path("workspace/", include("surveys.workspace.urls")),
    path("workspace/<slug:study>/", include("respondents.workspace.urls")),
    path("workspace/<slug:study>/", include("exports.workspace.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # One include per app's api/urls.py.
    path("api/v1/", include("respondents.api.urls")),
    path("api/v1/", include("exports.api.urls")),
    path("api/v1/", include("surveys.api.urls")),
    # Downloads under /api/ so the two-factor middleware guards them too.
    path("api/v1/", include("exports.urls")),
    # After every API route: the rest of /api/ answers 404 in the API's JSON.
    re_path(r"^api/(?:.*/)?$", api_not_found, name="api-not-found"),
    # The Telegram bot's updates (JSON, so outside the respondent pages' form-only limits).
    path("telegram/webhook/", telegram_webhook_view, name="telegram-webhook"),
    path("", landing, name="landing"),
    path("", include("respondents.urls")),
]
