"""Studies, the item bank, questionnaires and their versions.

A published QuestionnaireVersion is frozen: the guards here refuse any save or delete of it
or of anything nested in it, whichever path (service, admin, API, shell) tries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _  # labels shown in the staff pages

FROZEN_VERSION_MESSAGE = (
    "Version {version_id} is published and frozen; fork a new draft to change it."
)
NOT_PUBLISHING_MESSAGE = (
    "Version {version_id} can only be published by publish_version, which hashes its content."
)


class FrozenVersionError(Exception):
    """Raised when anything tries to change a published questionnaire version."""

    def __init__(self, version_id: int | None) -> None:
        super().__init__(FROZEN_VERSION_MESSAGE.format(version_id=version_id))
        self.version_id = version_id


class PublishOutsideServiceError(Exception):
    """Raised when a write marks a version published without going through publish_version."""

    def __init__(self, version_id: int | None) -> None:
        super().__init__(NOT_PUBLISHING_MESSAGE.format(version_id=version_id))
        self.version_id = version_id


# The version publish_version is publishing right now, in this thread or task; every other
# write that sets status=published is refused, so the content hash cannot be faked.
_PUBLISHING: ContextVar[int | None] = ContextVar("surveys_publishing", default=None)


@contextmanager
def publishing(version_id: int) -> Iterator[None]:
    """Allow the one save that publishes this version (surveys.services.publish_version)."""
    token = _PUBLISHING.set(version_id)
    try:
        yield
    finally:
        _PUBLISHING.reset(token)


MAX_TITLE_CHARS = 200
ERROR_TITLE_TRANSLATIONS = "titles must map language codes to texts of at most {limit} characters"


def check_title_translations(value: object) -> None:
    """A study's titles per language: {"ru": "...", "en": "..."}, each a short text."""
    if value is None:
        return
    if not isinstance(value, dict) or not all(
        isinstance(code, str) and isinstance(text, str) and len(text) <= MAX_TITLE_CHARS
        for code, text in value.items()
    ):
        raise ValidationError(ERROR_TITLE_TRANSLATIONS.format(limit=MAX_TITLE_CHARS))


class Study(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    # What staff see, and what respondents see in a language without a title of its own.
    title = models.CharField(max_length=MAX_TITLE_CHARS)
    # The title respondents see, per language ({"ru": "...", "en": "..."}). Nullable so
    # the release before it keeps saving studies while the column is added.
    title_translations = models.JSONField(
        null=True,
        blank=True,
        validators=[check_title_translations],
        help_text=_(
            'The title respondents see in each language, e.g. {"ru": "…", "en": "…"}; '
            "a language without one shows the title above."
        ),
    )
    # Language codes ("ru", "en") in the order the respondent language switch shows them.
    languages = models.JSONField(default=list)
    default_language = models.CharField(max_length=16, default="en")
    # {"ru": "...", "en": "..."}: shown on the consent page before the first question.
    consent_text = models.JSONField(default=dict, blank=True)
    # How many people the study's sample is drawn from, when the team knows it: exports
    # then weight the disclosure risk by it and gate a release on ER/n (docs/methods.md
    # 5.6). Unknown (an open-link sample of an unknown population): no ER/n gate.
    population_size = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("People the sample is drawn from; leave empty when unknown."),
    )
    # A respondent's open tab, history and bookmarks name the page by its title: a study
    # whose respondents could be endangered by that sets a neutral one ("Notes").
    neutral_title = models.CharField(
        max_length=100,
        blank=True,
        help_text="When set, respondent pages show this as their title and tab name instead "
        "of the questionnaire's title.",
    )
    leave_url = models.URLField(
        blank=True,
        help_text="Where the “leave quickly” link on respondent pages goes; empty: "
        "the site's PANELWAVE_LEAVE_URL.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the study is over for good (no more waves): every contact detail is deleted
    # contact_retention_days later (docs/operations.md, retention).
    ended_at = models.DateTimeField(null=True, blank=True)
    # Retention periods in days; empty means the site default (CONTACT_RETENTION_DAYS,
    # UNFINISHED_RETENTION_DAYS, EXPORT_RETENTION_DAYS).
    contact_retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Days contacts are kept after the study ends or a member leaves.",
    )
    unfinished_retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days an unfinished response is kept after its last page."
    )
    export_retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days export files are kept after they are built."
    )

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.slug


class StudyRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    FIELDWORK_MANAGER = "fieldwork_manager", _("Fieldwork manager")
    RESEARCHER = "researcher", _("Researcher")
    VIEWER = "viewer", _("Viewer")


class StudyMembership(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_memberships"
    )
    role = models.CharField(max_length=32, choices=StudyRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "user"], name="one_role_per_user_and_study")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.study_id}:{self.role}"


class ItemBankConcept(models.Model):
    """One concept of the item bank (surveys/data/harmonised-items.yaml), kept whole in `definition`."""

    key = models.SlugField(max_length=100, unique=True)
    label = models.CharField(max_length=300)
    domain = models.CharField(max_length=64, blank=True)
    wvs7_item = models.CharField(max_length=32, blank=True)
    ess_variable = models.CharField(max_length=32, blank=True)
    equivalence = models.CharField(max_length=32, blank=True)
    definition = models.JSONField(default=dict)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain", "key"]
        # Project-wide, granted by a superuser to the few who curate the bank; never part
        # of a study role (surveys/itembank_access.py).
        permissions = [("edit_item_bank", "Can change the shared item bank")]

    def __str__(self) -> str:
        return self.key


class Questionnaire(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="questionnaires")
    name = models.SlugField(max_length=100)
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "name"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="questionnaire_name_per_study")
        ]

    def __str__(self) -> str:
        return f"{self.study_id}/{self.name}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class QuestionnaireVersionQuerySet(models.QuerySet["QuestionnaireVersion"]):
    """Bulk paths cannot change or delete a published version, nor publish a draft (only
    publish_version publishes, through QuestionnaireVersion.save)."""

    def _first_frozen(self) -> int | None:
        return self.filter(status=VersionStatus.PUBLISHED).values_list("pk", flat=True).first()

    def update(self, **kwargs: Any) -> int:
        frozen = self._first_frozen()
        if frozen is not None:
            raise FrozenVersionError(frozen)
        # Only the literal "draft" may be written in bulk; anything else (published, or an
        # expression bulk_update builds) could publish without a real content hash.
        if "status" in kwargs and kwargs["status"] != VersionStatus.DRAFT:
            raise PublishOutsideServiceError(self.values_list("pk", flat=True).first())
        return super().update(**kwargs)

    def bulk_create(
        self, objs: Iterable[QuestionnaireVersion], *args: Any, **kwargs: Any
    ) -> list[QuestionnaireVersion]:
        objs = list(objs)
        if any(obj.status != VersionStatus.DRAFT for obj in objs):
            raise PublishOutsideServiceError(None)
        return super().bulk_create(objs, *args, **kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        frozen = self._first_frozen()
        if frozen is not None:
            raise FrozenVersionError(frozen)
        return super().delete()


class QuestionnaireVersion(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    # The language whose wording is the source for translations (stale-translation checks).
    source_language = models.CharField(max_length=16, default="en")
    languages = models.JSONField(default=list)
    # {"en": "...", "ru": "..."}: the form title per language.
    title = models.JSONField(default=dict, blank=True)
    # Form-level XLSForm settings and anything else needed for an exact round trip.
    settings = models.JSONField(default=dict, blank=True)
    # Paradata the XLSForm asked for (start, end, today, deviceid, ...): recorded, not asked.
    metadata_fields = models.JSONField(default=list, blank=True)
    # sha256 of the canonical content; set when published.
    content_hash = models.CharField(max_length=64, blank=True)
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = QuestionnaireVersionQuerySet.as_manager()

    class Meta:
        ordering = ["questionnaire", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "number"], name="version_number_per_questionnaire"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | ~models.Q(content_hash=""),
                name="published_version_has_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire_id} v{self.number} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Publishing itself is the one allowed write: the stored row is still a draft then,
        # and publish_version marks it with `publishing()`.
        stored_status = None
        if self.pk is not None:
            stored_status = (
                QuestionnaireVersion.objects.filter(pk=self.pk)
                .values_list("status", flat=True)
                .first()
            )
            if stored_status == VersionStatus.PUBLISHED:
                raise FrozenVersionError(self.pk)
        if self.status != VersionStatus.DRAFT and (
            stored_status is None or _PUBLISHING.get() != self.pk
        ):
            raise PublishOutsideServiceError(self.pk)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_frozen:
            raise FrozenVersionError(self.pk)
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status == VersionStatus.PUBLISHED


def _first_published(version_ids: Iterable[int | None]) -> int | None:
    ids = {version_id for version_id in version_ids if version_id is not None}
    if not ids:
        return None
    first: int | None = (
        QuestionnaireVersion.objects.filter(pk__in=ids, status=VersionStatus.PUBLISHED)
        .values_list("pk", flat=True)
        .first()
    )
    return first


class VersionPartQuerySet(models.QuerySet[Any]):
    """Bulk paths (update, delete, bulk_create, bulk_update) are refused for rows of a
    published version, whether the rows are in it or would be moved or added into it."""

    version_path: ClassVar[str] = "version"
    # The field whose change moves a row to another version (directly or through its list).
    owner_field: ClassVar[str] = "version"

    def _first_frozen(self) -> int | None:
        frozen = self.filter(**{f"{self.version_path}__status": VersionStatus.PUBLISHED})
        first: int | None = frozen.values_list(self.version_path, flat=True).first()
        return first

    def update(self, **kwargs: Any) -> int:
        frozen = self._first_frozen()
        if frozen is not None:
            raise FrozenVersionError(frozen)
        owner_keys = [key for key in (self.owner_field, f"{self.owner_field}_id") if key in kwargs]
        if not owner_keys:
            return super().update(**kwargs)
        # A move into a published version: refused before the write when the new owner is
        # a row or an id; an expression (bulk_update's Case) is checked after the write,
        # which the savepoint then undoes.
        target = kwargs[owner_keys[0]]
        if isinstance(target, models.Model | int):
            target_id = target.pk if isinstance(target, models.Model) else target
            frozen = _first_published(self._owner_versions_of_ids([target_id]))
            if frozen is not None:
                raise FrozenVersionError(frozen)
        pks = list(self.values_list("pk", flat=True))
        with transaction.atomic():
            count = super().update(**kwargs)
            moved = self.model._default_manager.filter(pk__in=pks)
            landed = _first_published(moved.values_list(self.version_path, flat=True))
            if landed is not None:
                raise FrozenVersionError(landed)
        return count

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        frozen = _first_published(self._owner_versions(objs))
        if frozen is not None:
            raise FrozenVersionError(frozen)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[Any], fields: Any, *args: Any, **kwargs: Any) -> int:
        objs = list(objs)
        if self.owner_field in fields or f"{self.owner_field}_id" in fields:
            frozen = _first_published(self._owner_versions(objs))
            if frozen is not None:
                raise FrozenVersionError(frozen)
        return super().bulk_update(objs, fields, *args, **kwargs)

    def _owner_versions(self, objs: list[Any]) -> list[int | None]:
        return self._owner_versions_of_ids([obj.version_id for obj in objs])

    def _owner_versions_of_ids(self, owner_ids: list[int | None]) -> list[int | None]:
        """The versions that owner rows (versions; for choices, choice lists) belong to."""
        return owner_ids

    def delete(self) -> tuple[int, dict[str, int]]:
        frozen = self._first_frozen()
        if frozen is not None:
            raise FrozenVersionError(frozen)
        return super().delete()


class ChoiceQuerySet(VersionPartQuerySet):
    version_path = "choice_list__version"
    owner_field = "choice_list"

    def _owner_versions(self, objs: list[Any]) -> list[int | None]:
        return self._owner_versions_of_ids([obj.choice_list_id for obj in objs])

    def _owner_versions_of_ids(self, owner_ids: list[int | None]) -> list[int | None]:
        return list(
            ChoiceList.objects.filter(pk__in=set(owner_ids)).values_list("version_id", flat=True)
        )


class VersionPart(models.Model):
    """Base for rows nested in a version; their save and delete check the version."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)

    def owning_version_id(self) -> int:
        raise NotImplementedError

    def _refuse_if_frozen(self) -> None:
        # Both owners count: the one the row is saved into, and the one it is stored in (a
        # row moved out of a published version would change that version too).
        frozen = _first_published([self.owning_version_id(), self._stored_version_id()])
        if frozen is not None:
            raise FrozenVersionError(frozen)

    def _stored_version_id(self) -> int | None:
        if self.pk is None:
            return None
        manager: Any = type(self)._default_manager
        stored: int | None = (
            manager.filter(pk=self.pk).values_list(manager.get_queryset().version_path, flat=True)
        ).first()
        return stored


class Page(VersionPart):
    """An XLSForm group: one page of the respondent form."""

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="pages"
    )
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField()
    labels = models.JSONField(default=dict, blank=True)
    relevant = models.TextField(blank=True)
    appearance = models.CharField(max_length=100, blank=True)
    # Groups inside the page's group, shown as titled sections: [{"path": "a/b",
    # "labels": {...}, "relevant": "...", "appearance": "..."}] in order of their begin.
    sections = models.JSONField(default=list, blank=True)
    # A roster page (XLSForm `begin repeat`): {"count": "<repeat_count>", "min": n, "max": n}
    # (surveys/repeats.py); null for an ordinary page.
    repeat = models.JSONField(null=True, blank=True)
    # A roster read inside groups: those groups, outermost first, each shaped as a section
    # ([{"path": "household/people", "labels", "relevant", "appearance"}, ...]), so the
    # roster is written back inside them; null otherwise. A single mapping is one group,
    # as stored before groups could nest (formspec.groups_from_stored reads both).
    group = models.JSONField(null=True, blank=True)

    objects = VersionPartQuerySet.as_manager()

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="page_name_per_version"),
            models.UniqueConstraint(
                fields=["version", "position"], name="page_position_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}:{self.name}"

    def owning_version_id(self) -> int:
        return self.version_id


class ChoiceList(VersionPart):
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="choice_lists"
    )
    name = models.CharField(max_length=100)

    objects = VersionPartQuerySet.as_manager()

    class Meta:
        ordering = ["version", "name"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="choice_list_name_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.version_id}:{self.name}"

    def owning_version_id(self) -> int:
        return self.version_id


class Choice(VersionPart):
    choice_list = models.ForeignKey(ChoiceList, on_delete=models.CASCADE, related_name="choices")
    # The XLSForm `name`: what is stored as the answer (formspec.MAX_CHOICE_NAME_LENGTH).
    name = models.CharField(max_length=255)
    # Numeric code for statistical formats: the name when it is an integer, else 1..n.
    code = models.IntegerField()
    position = models.PositiveIntegerField()
    labels = models.JSONField(default=dict, blank=True)
    # Extra choice-sheet columns (e.g. a cascading-select filter), kept for round trips.
    extra = models.JSONField(default=dict, blank=True)
    # The extra columns of further rows of the same name, where the form allows duplicate
    # choices (XLSForm `allow_choice_duplicates`): a cascade offers the choice under each.
    variants = models.JSONField(null=True, blank=True)

    objects = ChoiceQuerySet.as_manager()

    class Meta:
        ordering = ["choice_list", "position"]
        constraints = [
            models.UniqueConstraint(fields=["choice_list", "name"], name="choice_name_per_list"),
            models.UniqueConstraint(fields=["choice_list", "code"], name="choice_code_per_list"),
        ]

    def __str__(self) -> str:
        return f"{self.choice_list_id}:{self.name}"

    def owning_version_id(self) -> int:
        return int(
            ChoiceList.objects.filter(pk=self.choice_list_id).values_list("version_id", flat=True)[
                0
            ]
        )


class QuestionType(models.TextChoices):
    SELECT_ONE = "select_one", "Select one"
    SELECT_MULTIPLE = "select_multiple", "Select multiple"
    INTEGER = "integer", "Integer"
    DECIMAL = "decimal", "Decimal"
    TEXT = "text", "Text"
    NOTE = "note", "Note"
    DATE = "date", "Date"
    # A time of day, stored as "HH:MM" (the browser's time input; ODK's `time`).
    TIME = "time", "Time"
    # Never asked: computed from other answers as the respondent answers, and exported.
    CALCULATE = "calculate", "Calculate"


class PrivacyClass(models.TextChoices):
    ORDINARY = "", "Ordinary"
    IDENTIFIER = "identifier", "Direct identifier (never exported)"
    QUASI = "quasi", "Quasi-identifier (coarsened, k-anonymous)"
    SENSITIVE = "sensitive", "Sensitive free text (scrubbed or withheld)"


class Question(VersionPart):
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions"
    )
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="questions")
    # The item's identity across versions and its variable name in exports; unique in the
    # version (a name that repeats across groups is derived from the group path).
    name = models.CharField(max_length=100)
    # The name as the form writes it, when it differs from `name` (see above).
    written_name = models.CharField(max_length=100, blank=True)
    # The path of the inner groups (sections) of its page that hold the item: "a/b".
    section = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField()
    type = models.CharField(max_length=32, choices=QuestionType.choices)
    labels = models.JSONField(default=dict, blank=True)
    hints = models.JSONField(default=dict, blank=True)
    required = models.BooleanField(default=False)
    required_message = models.JSONField(default=dict, blank=True)
    relevant = models.TextField(blank=True)
    constraint = models.TextField(blank=True)
    constraint_message = models.JSONField(default=dict, blank=True)
    # XLSForm `calculation` (the value of a calculate item), `default` (a literal or an
    # expression) and `choice_filter` (a cascading select's test of each choice).
    calculation = models.TextField(blank=True)
    default = models.TextField(blank=True)
    choice_filter = models.TextField(blank=True)
    appearance = models.CharField(max_length=100, blank=True)
    choice_list = models.ForeignKey(
        # RESTRICT, not PROTECT: a list in use cannot be deleted alone, but deleting a draft
        # version removes its lists and questions together.
        ChoiceList,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="questions",
    )
    # select_one x or_other / "other, specify": the choice name that opens the text field.
    other_choice = models.CharField(max_length=100, blank=True)
    privacy = models.CharField(
        max_length=16, choices=PrivacyClass.choices, blank=True, default=PrivacyClass.ORDINARY
    )
    # An ItemBankConcept key; kept as text so a questionnaire imports before the bank loads.
    harmonise = models.CharField(max_length=100, blank=True)
    # The answer (a choice name or value) an attentive respondent gives to a check item.
    attention_expected = models.CharField(max_length=100, blank=True)
    # Other survey-sheet columns, kept for an exact XLSForm round trip.
    extra = models.JSONField(default=dict, blank=True)

    objects = VersionPartQuerySet.as_manager()

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="question_name_per_version"),
            models.UniqueConstraint(
                fields=["version", "position"], name="question_position_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}:{self.name}"

    def owning_version_id(self) -> int:
        return self.version_id


class ReferenceDistribution(models.Model):
    """One category's share in a reference survey's marginal distribution of a harmonised
    concept for one country (e.g. WVS-7, Germany, trust_people, code 1: 0.42), uploaded by a
    researcher to compare the study against."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="reference_shares")
    # An ItemBankConcept key, as in Question.harmonise.
    concept = models.CharField(max_length=100)
    # The reference survey and wave, e.g. "WVS-7" or "ESS-10".
    source = models.CharField(max_length=32)
    # Where the reference sample lives: an ISO 3166 code or a name, as the CSV gave it.
    country = models.CharField(max_length=64)
    # The source's category code (for harmonised items, the study's choice code too).
    category = models.CharField(max_length=32)
    share = models.FloatField()
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["study", "concept", "source", "country", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "concept", "source", "country", "category"],
                name="one_reference_share_per_category",
            ),
            models.CheckConstraint(
                condition=models.Q(share__gte=0) & models.Q(share__lte=1),
                name="reference_share_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concept} {self.source} {self.country} {self.category}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Refused")


class QuestionnaireImport(models.Model):
    """A large form file waiting for, or read by, the import task (surveys/services/
    form_imports.py). The file's bytes are kept here, not on a web machine's disk, so any
    worker can read them; they are dropped once the import has finished either way."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="form_imports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    filename = models.CharField(max_length=120)
    content = models.BinaryField(editable=False)
    # skip_unsupported, allow_no_labels, questionnaire_name: import_questionnaire's options.
    options = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    version = models.ForeignKey(
        QuestionnaireVersion, null=True, blank=True, on_delete=models.SET_NULL
    )
    # items, languages, skipped, warnings once done.
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"
