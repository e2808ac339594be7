"""The Telegram bot's webhook (`/telegram/webhook/`): Telegram posts each update here as
JSON with the secret set when the webhook was registered; the reply goes back in this
response's body as a Bot API method call, so the server never calls Telegram itself.

Thin: the rules are respondents.services.telegram_verification. Outside the respondent
pages' URL namespace on purpose: those accept form posts only (config/bodylimits.py), and
this one takes JSON, bounded here instead.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from respondents.services.telegram_verification import handle_update, is_enabled

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)
# An update holding one message is a few kilobytes; Telegram sends nothing larger here.
MAX_UPDATE_BYTES = 64 * 1024


@csrf_exempt  # Telegram cannot hold a CSRF token; the secret header authenticates it.
@require_POST
def telegram_webhook_view(request: HttpRequest) -> HttpResponse:
    if not is_enabled():
        return HttpResponse(status=404)
    sent = str(request.headers.get(SECRET_HEADER, ""))
    if not hmac.compare_digest(sent.encode(), settings.TELEGRAM_WEBHOOK_SECRET.encode()):
        return HttpResponse(status=403)
    length = str(request.META.get("CONTENT_LENGTH") or "0")
    if not length.isdecimal() or int(length) > MAX_UPDATE_BYTES:
        return HttpResponse(status=413)
    try:
        update = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        return HttpResponse("the update is not JSON", status=400)
    if not isinstance(update, dict):
        return HttpResponse("the update is not a JSON object", status=400)
    reply = handle_update(update)
    # 200 either way: anything else makes Telegram send the same update again.
    return JsonResponse(reply) if reply else HttpResponse(status=200)
