"""The API's filter backend: django-filter, with bad filter values refused as a 400.

Its own module because the REST_FRAMEWORK settings import it while DRF (and
drf-spectacular, which config/api.py uses) are still loading.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django_filters.rest_framework import DjangoFilterBackend  # type: ignore[import-untyped]
from rest_framework import exceptions
from rest_framework.request import Request


class FilterBackend(DjangoFilterBackend):  # type: ignore[misc]
    """django-filter, refusing a bad filter value with a 400 under its field.

    django-filter's own refusal %-formats each message a second time, so a value holding a
    `%` (`?rule=%25s`) that a validator quoted back turned into a 500; here the messages are
    rendered once, by Django's form errors.
    """

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Model], view: Any
    ) -> QuerySet[Model]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise exceptions.ValidationError(
                {
                    field: [str(message) for message in errors]
                    for field, errors in filterset.errors.items()
                }
            )
        result: QuerySet[Model] = filterset.qs
        return result
