"""Row MACs on every row that decides who is sealed a case key: staff public keys,
the recovery key, grants and pending grants, role assignments, conflicts, the
directory's people (their manager links, flags and e-mails), which person an
account is, who a case names and as what, ladder levels, category rules and the
routing policy. Session rows need none: they hold only keyed hashes of session
ids, and a session must also open its sealed key with the ``ombud_key`` cookie
and find the account's tagged public key (``access.session``).

Each such row carries a tag (``crypto.rowmac``) under a key derived from the
pepper, which is kept outside the database. Someone with write access to the
database alone can delete rows but cannot insert or edit one that Ombud will
trust: a row that fails its tag is never used (no key is sealed because of it,
no role is granted by it, no pending grant is fulfilled from it), and the failure
is audited and mailed to the head of ethics and the administrators (once an hour
per row). Someone who also holds the server and its pepper is not stopped
(docs/threat-model.md).

Tags are set on every ``save()``; code that writes such rows in bulk (the
directory import, ``QuerySet.update``) calls :func:`rows_retag` afterwards.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.signals import post_save, pre_save
from django.dispatch import Signal

from ombud import config
from ombud.crypto import rowmac


class RowTampered(Exception):
    """A row that decides who reads a case failed its tag: it was written around Ombud."""


def _sha(value: Any) -> bytes:
    return hashlib.sha256(bytes(value or b"")).digest()


# What each protected row's tag covers: the values that decide who may read, and
# the ids that say which row it is about (never its autoincrement id alone, so a
# row cannot be copied to describe another).
FIELDS: dict[str, Callable[[Any], tuple[rowmac.Value, ...]]] = {
    "access.StaffKey": lambda r: (r.user_id, bytes(r.public_key)),
    "access.RecoveryKey": lambda r: (r.pk, bytes(r.public_key), r.shares, r.threshold),
    "access.CaseKeyGrant": lambda r: (
        r.case_id,
        r.user_id,
        bytes(r.public_key),
        _sha(r.sealed_case_key),
    ),
    "access.PendingGrant": lambda r: (r.case_id, r.user_id, r.reason, r.held_for_key),
    "access.Conflict": lambda r: (r.case_id, r.user_id, r.reason),
    "access.LadderLevel": lambda r: (r.position, r.role_id),
    "access.CategoryRule": lambda r: (r.category, r.start_level_id, r.investigator_role_id),
    "access.RoutingPolicy": lambda r: (r.pk, r.executive_level_id, r.executive_grades),
    "directory.RoleAssignment": lambda r: (r.user_id, r.role_id),
    # Who a case names, and as what: the conflicts follow from it.
    "cases.Party": lambda r: (r.case_id, r.person_id, r.role),
    # Which directory person an account is: its conflicts are that person's.
    "directory.User": lambda r: (r.username, r.person_id),
    "directory.Person": lambda r: (
        r.employee_id,
        r.kind,
        r.manager_id,
        r.is_executive,
        r.grade,
        r.is_active,
        r.email,
    ),
}

# Sent when a row fails its tag; the access app audits it and raises the alarm.
row_tampered = Signal()


@functools.cache
def _key() -> bytes:
    return rowmac.derive_key(config.pepper(settings.CONFIG))


def _label(row: Model) -> str:
    return row._meta.label


def row_tag(row: Any, label: str | None = None) -> bytes:
    """The tag ``row`` should carry; ``label`` for rows that are not model instances
    (a migration's historical models, plain column values)."""
    label = label or _label(row)
    return rowmac.tag(_key(), label, FIELDS[label](row))


def row_valid(row: Model) -> bool:
    """Whether ``row`` carries its tag; a failure is reported (audited, alarmed)."""
    label = _label(row)
    if rowmac.verify(_key(), label, FIELDS[label](row), getattr(row, "mac", None)):
        return True
    # Once an hour per row: a forged role assignment is looked at on every request.
    if cache.add(f"ombud-tampered:{label}:{row.pk}", 1, timeout=3600):
        row_tampered.send(sender=type(row), label=label, pk=row.pk)
    return False


M = TypeVar("M", bound=Model)


def rows_valid(rows: Iterable[M]) -> list[M]:
    return [row for row in rows if row_valid(row)]


def value_tag(label: str, values: tuple[rowmac.Value, ...]) -> bytes:
    """The tag of values kept in a row that carries others too (a case's reporter
    signing key): ``label`` names what they are, ``values`` include what they are about."""
    return rowmac.tag(_key(), label, values)


def value_valid(label: str, pk: object, values: tuple[rowmac.Value, ...], stored: Any) -> bool:
    """Whether ``stored`` is the tag of ``values``; a failure is reported like a row's."""
    if rowmac.verify(_key(), label, values, bytes(stored) if stored else None):
        return True
    if cache.add(f"ombud-tampered:{label}:{pk}", 1, timeout=3600):
        row_tampered.send(sender=None, label=label, pk=pk)
    return False


def row_check(row: Model) -> None:
    """Raise RowTampered (after reporting it) when ``row`` fails its tag."""
    if not row_valid(row):
        raise RowTampered(f"{_label(row)} {row.pk} fails its integrity check")


def rows_retag(queryset: QuerySet[Any]) -> int:
    """Set the tags of rows written in bulk, around save(). Reads only the columns
    (no model instances) and writes in batches: an import re-tags 250,000 people."""
    model = queryset.model
    label = model._meta.label
    columns = [field.attname for field in model._meta.concrete_fields if field.attname != "mac"]
    pk_name = model._meta.pk.attname
    written = 0
    batch: list[tuple[bytes, Any]] = []
    for values in queryset.values(*columns).iterator(chunk_size=5000):
        row = SimpleNamespace(**values, pk=values[pk_name])
        batch.append((row_tag(row, label), row.pk))
        if len(batch) == 5000:
            written += _write_tags(model, batch)
            batch = []
    return written + _write_tags(model, batch)


def _write_tags(model: type[Model], batch: list[tuple[bytes, Any]]) -> int:
    if not batch:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(str(model._meta.pk.column))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement a batch: row-by-row updates cost a round trip each.
            rows = ", ".join(["(%s::bytea, %s)"] * len(batch))
            cursor.execute(
                f"UPDATE {table} AS t SET mac = v.mac FROM (VALUES {rows}) AS v(mac, id) "  # noqa: S608
                f"WHERE t.{pk} = v.id",
                [value for pair in batch for value in pair],
            )
        else:
            cursor.executemany(f"UPDATE {table} SET mac = %s WHERE {pk} = %s", batch)  # noqa: S608
    return len(batch)


def _tag_on_save(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    instance.mac = row_tag(instance)  # type: ignore[attr-defined]


def _tag_saved_fields(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    # A save limited to some fields (update_or_create, update_fields=...) leaves the
    # tag out: write it too.
    fields = kwargs.get("update_fields")
    if fields is not None and "mac" not in fields:
        sender._default_manager.filter(pk=instance.pk).update(mac=instance.mac)  # type: ignore[attr-defined]


def connect() -> None:
    """Tag every protected row whenever it is saved (called once the apps are ready)."""
    for label in FIELDS:
        model = apps.get_model(label)
        pre_save.connect(_tag_on_save, sender=model, dispatch_uid=f"ombud-row-mac:{label}")
        post_save.connect(
            _tag_saved_fields, sender=model, dispatch_uid=f"ombud-row-mac-fields:{label}"
        )


def retag_all(apps_registry: Any = None, labels: Iterable[str] | None = None) -> None:
    """Tag every protected row (a data migration, or after restoring the pepper)."""
    registry = apps_registry or apps
    for label in labels or FIELDS:
        model = registry.get_model(label)
        _write_tags(model, [(row_tag(row, label), row.pk) for row in model.objects.all()])
