from django.apps import AppConfig


class RespondentsConfig(AppConfig):
    name = "respondents"
    default_auto_field = "django.db.models.BigAutoField"
