"""The respondents app's API routes under /api/v1/: fieldwork here, cleaning from
respondents/cleaning/api.py."""

from django.urls import include, path

from respondents.api.views import (
    ChangeWaveStateView,
    InvitePanelView,
    ListAndOpenWavesView,
    ListPanelMembersView,
    WaveDetailView,
    WaveFiguresView,
    WithdrawMemberView,
)

urlpatterns = [
    path("", include("respondents.cleaning.api")),
    path("waves/", ListAndOpenWavesView.as_view(), name="waves"),
    path("waves/<int:wave_id>/", WaveDetailView.as_view(), name="wave"),
    path("waves/<int:wave_id>/state/", ChangeWaveStateView.as_view(), name="wave-state"),
    path("waves/<int:wave_id>/invitations/", InvitePanelView.as_view(), name="invitations"),
    path("waves/<int:wave_id>/figures/", WaveFiguresView.as_view(), name="wave-figures"),
    path("panel-members/", ListPanelMembersView.as_view(), name="panel-members"),
    path(
        "panel-members/<str:pseudonym>/withdraw/",
        WithdrawMemberView.as_view(),
        name="withdraw-member",
    ),
]
