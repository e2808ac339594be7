"""Respondent-side workspace pages of a study, under /workspace/<slug:study>/: its home,
its waves and their cleaning review."""

from django.urls import path

from respondents.cleaning import workspace as cleaning
from respondents.workspace import freetext, home, linkage, waves

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
        "waves/<int:wave_id>/linkage/decide-page/",
        linkage.linkage_decide_page,
        name="linkage-decide-page",
    ),
    path(
        "waves/<int:wave_id>/linkage/accept-above/",
        linkage.linkage_accept_above,
        name="linkage-accept-above",
    ),
    path("free-text/", freetext.free_text_review, name="free-text"),
    path("free-text/restore/", freetext.free_text_restore, name="free-text-restore"),
    path("free-text/redact/", freetext.free_text_redact, name="free-text-redact"),
    path("free-text/revoke/", freetext.free_text_revoke, name="free-text-revoke"),
    path("free-text/withhold/", freetext.free_text_withhold, name="free-text-withhold"),
    # Last: open, close, reopen, invite, remind (each a POST that calls one service).
    path("waves/<int:wave_id>/<slug:step>/", waves.wave_step, name="wave-step"),
]
