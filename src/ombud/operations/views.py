from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ombud.operations.models import WorkerHeartbeat


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and a worker beat in the last two minutes; else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        latest = WorkerHeartbeat.objects.order_by("-beat_at").first()
    except DatabaseError:
        return JsonResponse({"database": "unavailable", "worker": "unknown"}, status=503)
    now = timezone.now()
    if latest is None:
        worker, ok = "never started", False
    elif latest.is_alive(now):
        worker, ok = "ok", True
    else:
        worker, ok = f"silent since {latest.beat_at.isoformat(timespec='seconds')}", False
    body = {"database": "ok", "worker": worker}
    return JsonResponse(body, status=200 if ok else 503)
