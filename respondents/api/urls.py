from django.urls import include, path

urlpatterns = [
    path("", include("respondents.api.cleaning")),
    path("", include("respondents.api.fieldwork")),
]
