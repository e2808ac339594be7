from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The dashboard sits below exports in the app layers; exports hands it its panel.
        from exports.dashboard import recent_exports  # noqa: PLC0415 (apps are loading)
        from respondents.dashboard.panels import register_study_panel  # noqa: PLC0415

        register_study_panel(recent_exports)
