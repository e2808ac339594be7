"""Keyed device fingerprints for duplicate detection and rate limits, never raw addresses.

Rule (docs/methods.md section 3.3 and 3.4; docs/design.md, privacy model): a fingerprint is
HMAC-SHA256 under a random per-wave key of the respondent's network prefix (/24 for IPv4,
/48 for IPv6) and coarse browser signals (user agent, first Accept-Language tag). An
unkeyed hash of an IPv4 address falls to enumeration of 2**32 values; a keyed one does not,
and once the wave's key is destroyed (FINGERPRINT_RETENTION_DAYS after close) the stored
fingerprints can no longer be recomputed or matched to anyone.

This is the only module that reads the client address (REMOTE_ADDR, and X-Forwarded-For
only behind PANELWAVE_TRUSTED_PROXY_COUNT trusted proxies). The address is truncated and
hashed here and never stored, logged or returned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from respondents.models import Wave, WaveState
from respondents.services.contacts import contact_fernet

IPV4_PREFIX = 24
IPV6_PREFIX = 48
# Long enough to identify a browser family and version, short enough that a pathological
# header does not make every hash unique.
USER_AGENT_CHARS = 256
FINGERPRINT_VERSION = "v1"


def new_encrypted_key() -> str:
    """A fresh random wave key, encrypted for Wave.fingerprint_key."""
    raw_key = base64.urlsafe_b64encode(secrets.token_bytes(32))
    return contact_fernet().encrypt(raw_key).decode()


def _wave_key(wave: Wave) -> bytes | None:
    # Destroyed (or never created): no fingerprint can be made any more.
    if not wave.fingerprint_key:
        return None
    try:
        return base64.urlsafe_b64decode(contact_fernet().decrypt(wave.fingerprint_key.encode()))
    except InvalidToken:
        # The key was encrypted under a contact key since dropped from the environment.
        return None


def _client_address(request: HttpRequest) -> str:
    trusted = settings.PANELWAVE_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # Behind N trusted proxies, the client is the Nth address from the right; anything to
    # its left was written by the client and could be forged.
    if trusted > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= trusted:
            return str(hops[-trusted])
    return str(request.META.get("REMOTE_ADDR", ""))


def network_prefix(address: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address; "" for anything unparsable."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    # An IPv4 client seen through an IPv6 socket is the same client.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _browser_signals(request: HttpRequest) -> str:
    user_agent = str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_CHARS]
    language = str(request.META.get("HTTP_ACCEPT_LANGUAGE", "")).split(",")[0]
    return f"{user_agent.strip().lower()}|{language.strip().lower()}"


def fingerprint_request(wave: Wave, request: HttpRequest) -> str:
    """The wave-keyed fingerprint of a request's network and browser, or "" without a key."""
    key = _wave_key(wave)
    if key is None:
        return ""
    network = network_prefix(_client_address(request))
    message = f"{FINGERPRINT_VERSION}|{network}|{_browser_signals(request)}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def network_fingerprint_request(wave: Wave, request: HttpRequest) -> str:
    """The wave-keyed hash of the request's network prefix alone, or "" without a key or a
    parsable address. Only a rate-limit counter key: never stored with a response."""
    key = _wave_key(wave)
    network = network_prefix(_client_address(request))
    if key is None or not network:
        return ""
    # "network" in the message keeps these hashes apart from full fingerprints.
    message = f"{FINGERPRINT_VERSION}|network|{network}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def imported_fingerprint(wave: Wave, text: str) -> str | None:
    """The wave-keyed hash of a fingerprint collected elsewhere (import_responses), or None
    once the wave's key is destroyed."""
    key = _wave_key(wave)
    if key is None:
        return None
    return hmac.new(key, f"import|{text}".encode(), hashlib.sha256).hexdigest()


def imported_fingerprints(wave: Wave, texts: Sequence[str]) -> list[str] | None:
    """imported_fingerprint of each text ("" for an empty one), the wave's key decrypted
    once for them all (an import's column of distinct fingerprints); None once the key is
    destroyed."""
    key = _wave_key(wave)
    if key is None:
        return None
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    hashes = []
    for text in texts:
        one = keyed.copy()
        one.update(f"import|{text}".encode())
        hashes.append(one.hexdigest() if text else "")
    return hashes


def destroy_expired_fingerprint_keys(*, now: datetime | None = None) -> int:
    """Empty the key of every wave whose fieldwork ended more than
    FINGERPRINT_RETENTION_DAYS ago.

    Fieldwork ends when the wave is closed (or archived), or when its scheduled `closes_at`
    passes while nobody moves it out of "open": such a wave already refuses every answer
    (services.waves.is_accepting_responses), so its key must not outlive the retention
    period either. Returns how many keys were destroyed. Run daily from Celery beat
    (respondents.tasks.destroy_expired_fingerprint_keys_task); safe to run twice.
    """
    moment = now or timezone.now()
    cutoff = moment - timedelta(days=settings.FINGERPRINT_RETENTION_DAYS)
    with transaction.atomic():
        return (
            Wave.objects.filter(
                state__in=[WaveState.OPEN, WaveState.CLOSED, WaveState.ARCHIVED],
                closes_at__lte=cutoff,
            )
            .exclude(fingerprint_key="")
            .update(fingerprint_key="", fingerprint_key_destroyed_at=moment)
        )


def rotate_fingerprint_keys() -> int:
    """Re-encrypt every live wave key under the newest contact key (after a key rotation)."""
    fernet = contact_fernet()
    rotated = 0
    for wave in Wave.objects.exclude(fingerprint_key="").only("pk", "fingerprint_key"):
        wave.fingerprint_key = fernet.rotate(wave.fingerprint_key.encode()).decode()
        wave.save(update_fields=["fingerprint_key"])
        rotated += 1
    return rotated
