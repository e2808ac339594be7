from django.urls import include, path

urlpatterns = [
    path("", include("respondents.cleaning.api")),
    path("", include("respondents.api.fieldwork")),
]
