"""Two-factor authentication: enrolling an authenticator app (TOTP) and backup codes.

Required of anyone who can see contact details (surveys.access.requires_two_factor). The
devices are django-otp's; this module is the only code that creates or confirms them.
"""

from __future__ import annotations

from typing import Any

import segno
from django.db import transaction
from django.utils.translation import gettext_noop
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

AUTHENTICATOR_NAME = "authenticator"
BACKUP_NAME = "backup"
# Ten single-use codes: enough to get through a lost phone until a new one is enrolled.
BACKUP_CODE_COUNT = 10
ERROR_WRONG_CODE = gettext_noop(
    "That code is not valid. Check the time on your phone and try again."
)


def is_verified(user: Any) -> bool:
    """Has this session passed the second factor? (OTPMiddleware sets is_verified.)"""
    return bool(getattr(user, "is_verified", lambda: False)())


def has_confirmed_device(user: Any) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def pending_authenticator(user: Any) -> Any:
    """The user's unconfirmed TOTP device, created on first call (its secret is kept until
    confirmation so a page reload shows the same QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def qr_svg(device: Any) -> str:
    """The device's otpauth:// URI as an inline SVG QR code (nothing leaves the server)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000"))


def manual_key(device: Any) -> str:
    """The base32 secret, for authenticator apps that cannot scan."""
    secret = str(device.config_url).split("secret=", 1)[1].split("&", 1)[0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def confirm_authenticator(user: Any, token: str) -> list[str] | None:
    """Confirm the pending device with a code from the app; return fresh backup codes, or
    None when the code is wrong (nothing changes then)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token.strip()):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return regenerate_backup_codes(user)


@transaction.atomic
def regenerate_backup_codes(user: Any) -> list[str]:
    """Replace the user's backup codes; the old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def verify_second_factor(user: Any, token: str) -> Any:
    """The device (authenticator or backup code) that accepts the token, or None. A backup
    code is used up by matching."""
    return match_token(user, token.strip().replace(" ", ""))


def verify_device_after_enrolment(user: Any) -> Any:
    """The authenticator just confirmed: enrolment itself proved the second factor."""
    return TOTPDevice.objects.get(user=user, confirmed=True)
