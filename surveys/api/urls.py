from django.urls import path

from surveys.api.views import (
    ConceptDetailView,
    DiffVersionsView,
    ExportVersionView,
    ForkVersionView,
    FormImportStatusView,
    ListConceptsView,
    ListQuestionnairesView,
    ListStudiesView,
    ListVersionsView,
    PublishVersionView,
    StartQuestionnaireFromConceptsView,
    StudyDetailView,
    UploadQuestionnaireView,
    VersionDetailView,
)

urlpatterns = [
    path("studies/", ListStudiesView.as_view(), name="studies"),
    path("studies/<slug:slug>/", StudyDetailView.as_view(), name="study"),
    path(
        "studies/<slug:slug>/questionnaires/",
        ListQuestionnairesView.as_view(),
        name="questionnaires",
    ),
    path(
        "studies/<slug:slug>/questionnaires/upload/",
        UploadQuestionnaireView.as_view(),
        name="upload-questionnaire",
    ),
    path(
        "questionnaire-imports/<int:import_id>/",
        FormImportStatusView.as_view(),
        name="questionnaire-import",
    ),
    path(
        "studies/<slug:slug>/questionnaires/from-concepts/",
        StartQuestionnaireFromConceptsView.as_view(),
        name="start-questionnaire-from-concepts",
    ),
    path(
        "questionnaires/<int:questionnaire_id>/versions/",
        ListVersionsView.as_view(),
        name="questionnaire-versions",
    ),
    path("versions/<int:version_id>/", VersionDetailView.as_view(), name="version"),
    path(
        "versions/<int:version_id>/publish/", PublishVersionView.as_view(), name="publish-version"
    ),
    path("versions/<int:version_id>/fork/", ForkVersionView.as_view(), name="fork-version"),
    path(
        "versions/<int:version_id>/diff/<int:other_id>/",
        DiffVersionsView.as_view(),
        name="diff-versions",
    ),
    path("versions/<int:version_id>/export/", ExportVersionView.as_view(), name="export-version"),
    path("item-bank/", ListConceptsView.as_view(), name="item-bank"),
    path("item-bank/<slug:key>/", ConceptDetailView.as_view(), name="item-bank-concept"),
]
