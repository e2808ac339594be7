"""Respondent-side workspace pages of a study, under /workspace/<slug:study>/: its home,
its waves and their cleaning review."""

from django.urls import path

from respondents.workspace import cleaning, home, linkage, waves

app_name = "fieldwork"

urlpatterns = [
    path("", home.study_home, name="home"),
    path("waves/", waves.wave_list, name="waves"),
    path("waves/new/", waves.wave_new, name="wave-new"),
    path("waves/<int:wave_id>/", waves.wave_detail, name="wave"),
    path("waves/<int:wave_id>/cleaning/", cleaning.cleaning_review, name="cleaning"),
    path("waves/<int:wave_id>/cleaning/run/", cleaning.cleaning_run, name="cleaning-run"),
    path(
        "waves/<int:wave_id>/cleaning/override/",
        cleaning.cleaning_override,
        name="cleaning-override",
    ),
    path("waves/<int:wave_id>/linkage/", linkage.linkage_review, name="linkage"),
    path("waves/<int:wave_id>/linkage/run/", linkage.linkage_run, name="linkage-run"),
    path("waves/<int:wave_id>/linkage/decide/", linkage.linkage_decide, name="linkage-decide"),
    path(
        "waves/<int:wave_id>/linkage/accept-above/",
        linkage.linkage_accept_above,
        name="linkage-accept-above",
    ),
    # Last: open, close, reopen, invite, remind (each a POST that calls one service).
    path("waves/<int:wave_id>/<slug:step>/", waves.wave_step, name="wave-step"),
]
