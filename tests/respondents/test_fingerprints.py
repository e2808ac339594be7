from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from respondents.fingerprints import (
    destroy_expired_fingerprint_keys,
    fingerprint_request,
    imported_fingerprint,
    imported_fingerprints,
    network_prefix,
    rotate_fingerprint_keys,
)
from respondents.models import Wave, WaveState
from respondents.services.contacts import keyed_hash, keyed_hashes
from respondents.services.waves import open_wave
from tests.respondents.form_helpers import make_wave

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (Linux; Android 14) Telegram-Android/11.2"


def _another_wave(wave: Wave, name: str) -> Wave:
    return open_wave(wave.study, wave.version, name)


def _request(address: str = "203.0.113.77", forwarded: str = "", agent: str = UA) -> HttpRequest:
    meta: dict[str, Any] = {
        "REMOTE_ADDR": address,
        "HTTP_USER_AGENT": agent,
        "HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9",
    }
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("not-an-ip", ""),
    ],
)
def test_network_prefix_truncates_before_hashing(address, prefix):
    assert network_prefix(address) == prefix


def test_fingerprint_is_a_keyed_hash_shared_within_a_network_and_per_wave():
    first_wave = make_wave("w1")
    other = _another_wave(first_wave, "w2")

    same_network = fingerprint_request(first_wave, _request("203.0.113.5"))
    fingerprint = fingerprint_request(first_wave, _request("203.0.113.77"))

    assert len(fingerprint) == 64
    assert "203.0.113" not in fingerprint
    assert fingerprint == same_network
    assert fingerprint != fingerprint_request(first_wave, _request("198.51.100.77"))
    assert fingerprint != fingerprint_request(first_wave, _request(agent="curl/8"))
    assert fingerprint != fingerprint_request(other, _request())


def test_forwarded_for_counts_only_behind_trusted_proxies(settings):
    wave = make_wave()
    direct = fingerprint_request(wave, _request("198.51.100.1"))
    forged = fingerprint_request(wave, _request("198.51.100.1", forwarded="203.0.113.9"))
    assert forged == direct

    settings.PANELWAVE_TRUSTED_PROXY_COUNT = 1
    proxied = fingerprint_request(wave, _request("10.0.0.1", forwarded="6.6.6.6, 203.0.113.9"))

    assert proxied == fingerprint_request(wave, _request("203.0.113.200"))


def test_destroy_expired_keys_empties_only_waves_closed_long_enough(settings):
    settings.FINGERPRINT_RETENTION_DAYS = 90
    now = timezone.now()
    old = make_wave("old")
    recent = _another_wave(old, "recent")
    still_open = _another_wave(old, "open")
    Wave.objects.filter(pk=old.pk).update(
        state=WaveState.CLOSED, closes_at=now - timedelta(days=91)
    )
    Wave.objects.filter(pk=recent.pk).update(
        state=WaveState.CLOSED, closes_at=now - timedelta(days=10)
    )

    destroyed = destroy_expired_fingerprint_keys(now=now)

    assert destroyed == 1
    old.refresh_from_db()
    assert old.fingerprint_key == ""
    assert old.fingerprint_key_destroyed_at == now
    assert fingerprint_request(old, _request()) == ""
    assert Wave.objects.get(pk=recent.pk).fingerprint_key
    assert Wave.objects.get(pk=still_open.pk).fingerprint_key


def test_rotating_keys_keeps_fingerprints_stable(settings):
    wave = make_wave()
    before = fingerprint_request(wave, _request())
    settings.PANELWAVE_CONTACT_KEYS = [
        Fernet.generate_key().decode(),
        *settings.PANELWAVE_CONTACT_KEYS,
    ]

    assert rotate_fingerprint_keys() == 1

    wave.refresh_from_db()
    assert fingerprint_request(wave, _request()) == before
    settings.PANELWAVE_CONTACT_KEYS = settings.PANELWAVE_CONTACT_KEYS[:1]
    assert fingerprint_request(wave, _request()) == before


def test_the_daily_beat_task_destroys_keys_of_closed_and_overdue_open_waves(settings):
    # given: a wave closed 91 days ago, one still "open" but scheduled to close 91 days ago,
    # and one open with a close time 10 days ago (within retention)
    from config.celery import app

    settings.FINGERPRINT_RETENTION_DAYS = 90
    now = timezone.now()
    closed = make_wave("closed")
    overdue = _another_wave(closed, "overdue")
    recent = _another_wave(closed, "recent")
    Wave.objects.filter(pk=closed.pk).update(
        state=WaveState.CLOSED, closes_at=now - timedelta(days=91)
    )
    Wave.objects.filter(pk=overdue.pk).update(closes_at=now - timedelta(days=91))
    Wave.objects.filter(pk=recent.pk).update(closes_at=now - timedelta(days=10))
    entry = settings.CELERY_BEAT_SCHEDULE["destroy-expired-fingerprint-keys"]

    # when: beat fires the scheduled task (eager in tests)
    destroyed = app.tasks[entry["task"]].delay().get()

    # then
    assert entry["schedule"] == timedelta(days=1)
    assert destroyed == 2
    assert Wave.objects.get(pk=closed.pk).fingerprint_key == ""
    assert Wave.objects.get(pk=overdue.pk).fingerprint_key == ""
    assert Wave.objects.get(pk=overdue.pk).fingerprint_key_destroyed_at is not None
    assert Wave.objects.get(pk=recent.pk).fingerprint_key
    assert app.tasks[entry["task"]].delay().get() == 0


def test_network_fingerprint_ignores_the_browser_and_differs_from_the_full_one():
    from respondents.fingerprints import network_fingerprint_request

    wave = make_wave()
    other = _another_wave(wave, "w2")

    phone = network_fingerprint_request(wave, _request("203.0.113.77"))
    laptop = network_fingerprint_request(wave, _request("203.0.113.5", agent="curl/8"))

    assert phone == laptop
    assert len(phone) == 64
    assert phone != fingerprint_request(wave, _request("203.0.113.77"))
    assert phone != network_fingerprint_request(wave, _request("198.51.100.1"))
    assert phone != network_fingerprint_request(other, _request("203.0.113.77"))
    assert network_fingerprint_request(wave, _request("not-an-ip")) == ""
    assert "203.0.113" not in phone


def test_an_import_column_of_fingerprints_hashes_as_one_at_a_time():
    wave = make_wave("column")
    texts = ["device-1", "", "device-2", "device-1"]
    one_by_one = [imported_fingerprint(wave, text) if text else "" for text in texts]

    assert imported_fingerprints(wave, texts) == one_by_one
    assert one_by_one[0] == one_by_one[3] != one_by_one[2]
    # another wave's key gives other hashes
    assert imported_fingerprints(_another_wave(wave, "other"), texts) != one_by_one
    Wave.objects.filter(pk=wave.pk).update(fingerprint_key="")
    wave.refresh_from_db()
    assert imported_fingerprints(wave, texts) is None


def test_a_column_of_keyed_hashes_equals_each_keyed_hash():
    values = ["key-1", "", "ключ-2"]

    assert keyed_hashes("panel_key:7", values) == [keyed_hash("panel_key:7", v) for v in values]
    assert keyed_hashes("panel_key:8", values)[0] != keyed_hash("panel_key:7", "key-1")
