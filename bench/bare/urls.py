"""Ombud's URLs plus ``POST /bench/bare``: parse the JSON body and insert one row
holding a 4 KB blob in one transaction. The table is made by the bench with plain
SQL (``TABLE``); nothing else is done, so it is the floor a write can cost on the
same server, workers and database."""

from __future__ import annotations

import json
import os

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from ombud.urls import urlpatterns as ombud_urlpatterns

TABLE = "bench_bare_write"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id {{serial}} PRIMARY KEY, title TEXT, blob {{blob}})"
)


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    data = json.loads(request.body)
    blob = os.urandom(4096)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (title, blob) VALUES (%s, %s)",  # noqa: S608 - a constant
            [str(data.get("category", "")), blob],
        )
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [path("bench/bare", bare), *ombud_urlpatterns]
