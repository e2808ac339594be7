"""Waves, panel members and their contacts, invitations, responses and quality flags.

Privacy (docs/design.md): no raw IP or user agent is stored (only a per-wave keyed hash);
contact details sit in their own table, encrypted; invitation and resume tokens are stored
only as hashes; `__str__` never shows contact data, tokens or answers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _  # labels shown in the staff pages

from surveys.models import QuestionnaireVersion, Study


class WaveState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")


class Wave(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="waves")
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="waves"
    )
    name = models.CharField(max_length=100)
    # Public, unguessable path segment of the open link /s/<slug>/.
    slug = models.SlugField(max_length=64, unique=True)
    state = models.CharField(max_length=16, choices=WaveState.choices, default=WaveState.DRAFT)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    # Recruitment channels accepted in ?src= (empty: any well-formed channel name).
    channels = models.JSONField(default=list, blank=True)
    # HMAC key for device fingerprints, encrypted with the contact keys; emptied when the
    # retention period ends, after which no fingerprint can be recomputed or matched.
    fingerprint_key = models.TextField(blank=True)
    fingerprint_key_destroyed_at = models.DateTimeField(null=True, blank=True)
    # Cleaning rule settings that differ from the documented defaults.
    cleaning_config = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="wave_name_per_study")
        ]

    def __str__(self) -> str:
        return f"{self.study_id}/{self.name} ({self.state})"


class MemberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PanelMember(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="panel_members")
    # A random pseudonymous ID, never derived from who the person is.
    pseudonym = models.CharField(max_length=32, unique=True)
    status = models.CharField(
        max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    recruited_in = models.ForeignKey(
        Wave, null=True, blank=True, on_delete=models.SET_NULL, related_name="recruits"
    )
    # Keyed hash (HMAC) of a researcher-supplied panel key from imported responses.
    # NULL, not "", for members without one: the unique constraint ignores NULLs.
    panel_key_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    preferred_language = models.CharField(max_length=16, blank=True)
    # An earlier active member whose e-mail or Telegram handle this member also gave. Never
    # merged automatically (an unverified address proves nothing about who typed it): the
    # team and the cleaning rules see the possible duplicate, and invitations go to the
    # earlier member only (services/contacts.py explains why).
    possible_duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="possible_duplicates",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["study", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["study", "panel_key_hash"], name="panel_key_per_study")
        ]

    def __str__(self) -> str:
        return self.pseudonym


class Contact(models.Model):
    """How to reach a panel member: encrypted at rest, erasable, never exported."""

    member = models.OneToOneField(PanelMember, on_delete=models.CASCADE, related_name="contact")
    # Fernet tokens (MultiFernet over PANELWAVE_CONTACT_KEYS); empty when absent.
    email_encrypted = models.TextField(blank=True)
    telegram_encrypted = models.TextField(blank=True)
    # Keyed hashes of the normalised values, to find a person who joins twice.
    email_blind_index = models.CharField(max_length=64, blank=True, db_index=True)
    telegram_blind_index = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"contact of {self.member_id}"


class Invitation(models.Model):
    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="invitations")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    # sha256 of the personal-link token; the token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["wave", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["member", "wave"], name="one_invitation_per_wave")
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} wave {self.wave_id}"


class EarlierInvitationToken(models.Model):
    """A personal-link token the invitation carried before its current one.

    Every send (the invitation, each reminder, a Telegram resend) issues a fresh token, so
    only the newest message's link would work; a panelist who clicks the first e-mail after
    a reminder must not be locked out. The hashes of earlier tokens are kept here (never
    the tokens) and resolve like the current one until the invitation is revoked
    (withdrawal, erasure), which deletes them. Only respondents/tokens.py reads them.
    """

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="earlier_tokens"
    )
    # sha256 of the earlier token, as Invitation.token_hash.
    token_hash = models.CharField(max_length=64, unique=True)
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invitation", "replaced_at"]

    def __str__(self) -> str:
        return f"earlier token of invitation {self.invitation_id}"


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    ABANDONED = "abandoned", "Abandoned"


class Response(models.Model):
    # No index of its own: the (wave, status) index and the (wave, source_id) unique
    # constraint both start with wave_id and serve every lookup by wave. Each index on this
    # table is written for every response an import loads.
    wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, related_name="responses", db_index=False
    )
    member = models.ForeignKey(
        PanelMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    channel = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        max_length=16, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS
    )
    # {item name: value}; select_multiple as a list of choice names. One JSON document per
    # response keeps a 100,000-response wave to 100,000 rows for export.
    answers = models.JSONField(default=dict, blank=True)
    # Per page: seconds spent and visits; plus the XLSForm metadata (start, end, ...).
    paradata = models.JSONField(default=dict, blank=True)
    # Name of the page the respondent is on; empty before consent, "end" when done.
    current_page = models.CharField(max_length=100, blank=True)
    # sha256 of the open-link resume token.
    resume_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # HMAC of network and browser signals under the wave's key. Not indexed: no query looks
    # a response up by it (cleaning compares a wave's fingerprints in memory).
    fingerprint = models.CharField(max_length=64, blank=True)
    # The ID a response had where it was collected (import_responses).
    source_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    honeypot_filled = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["wave", "started_at"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "source_id"], name="source_id_per_wave"),
        ]
        indexes = [models.Index(fields=["wave", "status"], name="response_wave_status")]

    def __str__(self) -> str:
        return f"response {self.pk} wave {self.wave_id} ({self.status})"


class CleaningRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class CleaningRun(models.Model):
    """One pass of the rules over a wave. The wave's current flags are those of its latest
    finished run; older runs keep their record (config, counts) but not their flags."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="cleaning_runs")
    status = models.CharField(
        max_length=16, choices=CleaningRunStatus.choices, default=CleaningRunStatus.RUNNING
    )
    # The full rule configuration used: defaults merged with the wave's overrides.
    config = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Seconds per step: loading the wave, then each rule.
    timings = models.JSONField(default=dict, blank=True)
    # Responses seen, responses flagged, and flags per rule.
    counts = models.JSONField(default=dict, blank=True)
    notes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["wave", "-started_at"]

    def __str__(self) -> str:
        return f"cleaning run {self.pk} wave {self.wave_id}"


class QualityFlag(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="flags")
    run = models.ForeignKey(CleaningRun, on_delete=models.CASCADE, related_name="flags")
    # speeder, straightliner, duplicate:exact, attention, incomplete, bot, ...
    rule = models.CharField(max_length=64)
    score = models.FloatField(null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["response", "rule"]
        constraints = [
            models.UniqueConstraint(fields=["run", "response", "rule"], name="one_flag_per_rule")
        ]

    def __str__(self) -> str:
        return f"{self.rule} on response {self.response_id}"


class FlagOverrideQuerySet(models.QuerySet["FlagOverride"]):
    def active(self) -> FlagOverrideQuerySet:
        return self.filter(revoked_at__isnull=True)


class FlagOverride(models.Model):
    """A researcher's decision that a rule does not apply to a response; later runs keep it.

    Decisions are kept, never overwritten: a new decision on the same response and rule
    revokes the earlier one (its row stays, with who revoked it, when and why), and a
    revoked decision no longer holds the flag back. At most one decision is active.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="flag_overrides")
    rule = models.CharField(max_length=64)
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.TextField(blank=True)

    objects = FlagOverrideQuerySet.as_manager()

    class Meta:
        ordering = ["response", "rule", "decided_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "rule"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_override_per_rule",
            )
        ]

    def __str__(self) -> str:
        return f"override {self.rule} on response {self.response_id}"


class LinkStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate, awaiting review"
    LINKED = "linked", "Linked"
    REJECTED = "rejected", "Rejected"
    UNLINKED = "unlinked", "Linked, then undone"


class LinkHow(models.TextChoices):
    VERIFIED = "verified", "Verified: the person followed a link sent to the earlier contact"
    REVIEWED = "reviewed", "Reviewed: a team member accepted the match"
    ACCEPTED = "accepted", "Accepted: above the study's automatic threshold"


class ResponseLink(models.Model):
    """A later open-link response linked (or proposed for linking) to a person's earlier
    response. Linking moves the response to the earlier person's PanelMember, so samples
    see one person; the member it had before is kept here, so the link can be undone."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="link")
    earlier_response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="later_links"
    )
    # The linkage model's posterior (None for verified links, which need none).
    probability = models.FloatField(null=True, blank=True)
    # The runner-up's posterior: a close second means the match is not clear.
    second_probability = models.FloatField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=LinkStatus.choices, default=LinkStatus.CANDIDATE
    )
    how = models.CharField(max_length=16, choices=LinkHow.choices, blank=True)
    previous_member = models.ForeignKey(
        PanelMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-probability", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(response=models.F("earlier_response")),
                name="link_not_to_itself",
            )
        ]

    def __str__(self) -> str:
        return f"link {self.pk}: response {self.response_id} -> {self.earlier_response_id}"


class LinkDecision(models.Model):
    """One decision on a ResponseLink, kept for ever. The link row holds the current state;
    these rows hold how it got there, so a later decision (an undo, a person's verified click
    after a reviewer said "not the same") never erases an earlier one."""

    link = models.ForeignKey(ResponseLink, on_delete=models.CASCADE, related_name="decisions")
    # The pair decided on: a verified click may name another earlier response than the
    # pair a reviewer rejected.
    earlier_response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=LinkStatus.choices)
    how = models.CharField(max_length=16, choices=LinkHow.choices, blank=True)
    probability = models.FloatField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"decision {self.pk} on link {self.link_id}: {self.status}"


# Free-text models live with their feature (respondents/freetext/); imported here so Django
# registers them under this app.
from respondents.freetext.models import (  # noqa: E402
    FreeTextDecision as FreeTextDecision,
)
from respondents.freetext.models import (  # noqa: E402
    FreeTextSettings as FreeTextSettings,
)
from respondents.freetext.models import (  # noqa: E402
    ScrubbedAnswer as ScrubbedAnswer,
)
