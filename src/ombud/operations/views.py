from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ombud.operations.models import Outcome, WorkerHeartbeat


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, a worker beat in the last two minutes and the
    recovery key exists (without it no report can be stored); else 503."""
    from ombud.access.recovery import recovery_key_exists

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        latest = WorkerHeartbeat.objects.order_by("-beat_at").first()
        recovery_key = "ok" if recovery_key_exists() else "missing"
    except DatabaseError:
        return JsonResponse(
            {
                "database": "unavailable",
                "worker": "unknown",
                "recovery_key": "unknown",
                "mail": settings.OMBUD_MAIL,
            },
            status=503,
        )
    now = timezone.now()
    if latest is None:
        worker, ok = "never started", False
    elif latest.is_alive(now):
        worker, ok = "ok", True
    else:
        worker, ok = f"silent since {latest.beat_at.isoformat(timespec='seconds')}", False
    # Where notices go; "off" (OMBUD_MAIL=off, on purpose) means none goes out. Not a
    # failure: production cannot start without a mail server unless told so.
    body = {
        "database": "ok",
        "worker": worker,
        "recovery_key": recovery_key,
        "mail": settings.OMBUD_MAIL,
    }
    return JsonResponse(body, status=200 if ok and recovery_key == "ok" else 503)


@login_required
@require_http_methods(["GET"])
def outbox(request: HttpRequest) -> HttpResponse:
    """For the administrators: mail that has not gone out yet, and why."""
    from ombud.directory import roles
    from ombud.directory.models import User
    from ombud.directory.selectors import user_has_role
    from ombud.operations.models import OutboxMessage

    user = request.user
    if not isinstance(user, User) or not user_has_role(user=user, role=roles.ADMINISTRATOR):
        raise Http404
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True).order_by("next_attempt_at")
    left = OutboxMessage.objects.filter(sent_at__gte=timezone.now() - dt.timedelta(days=1))
    counts = dict(left.values_list("outcome").annotate(Count("pk")).order_by())
    return render(
        request,
        "operations/outbox.html",
        {
            "waiting": waiting[:200],
            "failing": waiting.exclude(last_error="").count(),
            "sent_today": counts.get(Outcome.SENT, 0),
            "written_today": counts.get(Outcome.FOLDER, 0),
            "off_today": counts.get(Outcome.OFF, 0),
            "left": left.order_by("-sent_at", "-pk")[:200],
            "mail_folder": settings.OMBUD_MAIL_FOLDER,
        },
    )
