"""``ombud directory import FILE.csv``: check every row, then upsert all or nothing.

The file is read twice as a stream (once to check, once to write) and never
held whole; what stays in memory is a few short strings per person (ids,
managers, line numbers), so memory grows with the number of people only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, cast

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from ombud.audit.services import audit_record
from ombud.directory.models import Person, Unit, User
from ombud.directory.services import sign_ins_stop, unit_ensure
from ombud.directory.signals import people_changed
from ombud.integrity import rows_retag

HEADER = (
    "employee_id",
    "name",
    "other_names",
    "email",
    "phone",
    "unit",
    "manager_id",
    "title",
    "grade",
    "executive",
)
BATCH = 2000
_EMPLOYEE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,40}$")
_YES_NO = {"yes": True, "no": False}
_validate_email = EmailValidator()
_UPDATED_FIELDS = (
    "name",
    "other_names",
    "email",
    "phone",
    "unit_id",
    "title",
    "grade",
    "is_executive",
    "is_active",
)


@dataclass(frozen=True, order=True)
class RowError:
    line: int  # 0 when the error is about the whole file
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class FileChanged(Exception):
    """The file is not the one that was checked a moment ago."""


class Unreadable(Exception):
    """The CSV itself is broken from this line on (an unclosed quote, say)."""

    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class Row(NamedTuple):
    employee_id: str
    name: str
    other_names: list[str]
    email: str
    phone: str
    unit: str
    manager_id: str
    title: str
    grade: str
    executive: bool


def _has_bad_bytes(value: str) -> bool:
    # The file is decoded with surrogateescape: undecodable bytes become lone surrogates.
    return any("\udc80" <= char <= "\udcff" for char in value)


def _records(handle: io.TextIOBase) -> Iterator[tuple[int, list[str]]]:
    """(line number of the record's first line, fields) for every record after the header."""
    reader = csv.reader(handle)
    consumed = 0  # lines the reader has read; the header (line 1) was read before it
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            message = _("cannot be read as CSV (%s)") % error
            raise Unreadable(RowError(consumed + 2, message)) from None
        start = consumed + 2
        consumed = reader.line_num
        if fields:
            yield start, fields


def _position(handle: io.TextIOWrapper) -> int:
    """How far into the file the reader is, in bytes (read-ahead included)."""
    return int(handle.buffer.tell())  # type: ignore[attr-defined]


def _open(path: Path) -> io.TextIOWrapper:
    raw = path.open("rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


def _check_header(handle: io.TextIOWrapper) -> list[RowError]:
    header_line = handle.readline()
    if not header_line.strip():
        return [RowError(1, _("the file is empty; the first line must be the header"))]
    names = next(csv.reader([header_line]))
    names = [name.strip().lower() for name in names]
    if tuple(names) == HEADER:
        return []
    missing = [name for name in HEADER if name not in names]
    unknown = [name for name in names if name not in HEADER]
    parts = []
    if missing:
        parts.append(_("missing columns: %s") % ", ".join(missing))
    if unknown:
        parts.append(_("unknown columns: %s") % ", ".join(unknown))
    if not parts:
        parts.append(_("the columns are in the wrong order"))
    return [RowError(1, "; ".join(parts) + " " + _("(expected: %s)") % ",".join(HEADER))]


def _parse(line: int, fields: list[str]) -> tuple[Row | None, list[RowError]]:
    errors: list[RowError] = []

    def bad(message: str) -> None:
        errors.append(RowError(line, message))

    if len(fields) != len(HEADER):
        bad(
            _("has %(found)d fields, expected %(expected)d")
            % {"found": len(fields), "expected": len(HEADER)}
        )
        return None, errors
    if any(_has_bad_bytes(value) for value in fields):
        bad(_("is not valid UTF-8 text"))
        return None, errors
    (employee_id, name, other_names, email, phone, unit, manager_id, title, grade, executive) = (
        value.strip() for value in fields
    )

    if not employee_id:
        bad(_("employee_id is empty"))
    elif not _EMPLOYEE_ID.match(employee_id):
        bad(
            _("employee_id %r is malformed (letters, digits, '.', '_', '-'; at most 64)")
            % employee_id
        )
    if not name:
        bad(_("name is empty"))
    elif len(name) > 200:
        bad(_("name is longer than 200 characters"))
    others = [other.strip() for other in other_names.split(";") if other.strip()]
    if any(len(other) > 200 for other in others):
        bad(_("an entry of other_names is longer than 200 characters"))
    if len(email) > 254:
        bad(_("e-mail is longer than 254 characters"))
    elif email:
        try:
            _validate_email(email)
        except ValidationError:
            bad(_("e-mail %r is malformed") % email)
    if phone and not _PHONE.match(phone):
        bad(_("phone %r is malformed (digits, spaces, + ( ) . / -)") % phone)
    if unit:
        segments = unit.split("/")
        if (
            any(not seg or seg != seg.strip() or len(seg) > 100 for seg in segments)
            or len(unit) > 500
        ):
            bad(
                _(
                    "unit path %r is malformed (names separated by '/', none empty, e.g. "
                    "Retail/Grocery)"
                )
                % unit
            )
    if manager_id and not _EMPLOYEE_ID.match(manager_id):
        bad(_("manager_id %r is malformed") % manager_id)
    if len(title) > 200:
        bad(_("title is longer than 200 characters"))
    if len(grade) > 40:
        bad(_("grade is longer than 40 characters"))
    if executive.lower() not in _YES_NO:
        bad(_("executive must be yes or no, not %r") % executive)
    if errors:
        return None, errors
    return Row(
        employee_id,
        name,
        others,
        email,
        phone,
        unit,
        manager_id,
        title,
        grade,
        _YES_NO[executive.lower()],
    ), []


def _progress(path: Path, description: str, show: bool) -> tqdm:
    return tqdm(
        total=path.stat().st_size,
        unit="B",
        unit_scale=True,
        desc=description,
        disable=not show,
        leave=False,
    )


@dataclass
class _Checked:
    managers: dict[str, str]  # employee id -> manager's employee id ("" at the top)
    lines: dict[str, int]
    units: set[str]
    errors: list[RowError]


def _check_file(path: Path, *, deactivate_missing: bool, show_progress: bool) -> _Checked:
    checked = _Checked({}, {}, set(), [])
    with _open(path) as handle, _progress(path, _("checking"), show_progress) as bar:
        checked.errors.extend(_check_header(handle))
        if checked.errors:
            return checked
        try:
            _check_rows(checked, handle, bar, _position(handle))
        except Unreadable as unreadable:
            checked.errors.append(unreadable.error)
    _check_managers(checked, deactivate_missing=deactivate_missing)
    checked.errors.sort()
    return checked


def _check_rows(checked: _Checked, handle: io.TextIOWrapper, bar: tqdm, position: int) -> None:
    for count, (line, fields) in enumerate(_records(handle), 1):
        row, errors = _parse(line, fields)
        checked.errors.extend(errors)
        if count % 1000 == 0:
            now = _position(handle)
            bar.update(now - position)
            position = now
        if row is None:
            continue
        if row.employee_id in checked.lines:
            checked.errors.append(
                RowError(
                    line,
                    _("employee_id %(id)r is already on line %(first)d")
                    % {"id": row.employee_id, "first": checked.lines[row.employee_id]},
                )
            )
            continue
        checked.managers[row.employee_id] = row.manager_id
        checked.lines[row.employee_id] = line
        if row.unit:
            checked.units.add(row.unit)


def _check_managers(checked: _Checked, *, deactivate_missing: bool) -> None:
    stored: dict[str, tuple[str, bool]] = {
        employee_id: (manager or "", active)
        for employee_id, manager, active in Person.objects.values_list(
            "employee_id", "manager__employee_id", "is_active"
        ).iterator(chunk_size=5000)
    }
    for employee_id, manager_id in checked.managers.items():
        if not manager_id or manager_id in checked.managers:
            continue
        line = checked.lines[employee_id]
        if deactivate_missing or manager_id not in stored:
            where = _("the file") if deactivate_missing else _("the file or the directory")
            checked.errors.append(
                RowError(
                    line,
                    _("manager_id %(manager)r is not in %(where)s")
                    % {"manager": manager_id, "where": where},
                )
            )
        elif not stored[manager_id][1]:
            checked.errors.append(
                RowError(line, _("manager_id %r has left (inactive in the directory)") % manager_id)
            )

    def manager_of(employee_id: str) -> str:
        if employee_id in checked.managers:
            return checked.managers[employee_id]
        return "" if deactivate_missing else stored.get(employee_id, ("", True))[0]

    # Walk up from each person; meeting someone on the current path is a cycle.
    done: set[str] = set()
    for start in checked.managers:
        path: list[str] = []
        on_path: set[str] = set()
        current = start
        while current and current not in done:
            if current in on_path:
                cycle = path[path.index(current) :]
                lines = sorted(checked.lines[p] for p in cycle if p in checked.lines)
                shown = " → ".join([*cycle, current])
                checked.errors.append(
                    RowError(lines[0] if lines else 1, _("manager cycle: %s") % shown)
                )
                break
            path.append(current)
            on_path.add(current)
            current = manager_of(current)
        done.update(path)


def _update(fields: list[str], rows: list[tuple[object, ...]]) -> None:
    """UPDATE ... WHERE id = ? for many rows at once: (pk, value, value, ...) each.

    Django's bulk_update builds one CASE expression per field and batch, which
    costs minutes at this scale; executemany with a plain statement costs seconds.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    model_fields = [cast(Field, Person._meta.get_field(name)) for name in fields]
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in model_fields)
    sql = f"UPDATE {quote(Person._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608 - our names
    params = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(model_fields, row[1:], strict=True)
        ]
        + [row[0]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _stored_values(person: Person) -> tuple[object, ...]:
    return tuple(getattr(person, name) for name in _UPDATED_FIELDS)


def _write(
    path: Path,
    checked: _Checked,
    *,
    actor: User | str,
    deactivate_missing: bool,
    show_progress: bool,
) -> ImportResult:
    result = ImportResult()
    now = timezone.now()
    unit_ids = {
        unit_path: unit_ensure(actor=actor, path=unit_path).pk
        for unit_path in sorted(checked.units, key=lambda p: (p.count("/"), p))
    }
    unit_paths = dict(Unit.objects.values_list("pk", "path"))
    changed: set[str] = set()
    current_manager: dict[str, int | None] = {}
    # What conflict-of-interest checks depend on is audited person by person.
    watched: dict[str, dict[str, object]] = {}

    def watch(employee_id: str, field: str, before: object, after: object) -> None:
        if before != after:
            watched.setdefault(employee_id, {})[field] = {"from": before, "to": after}

    def flush(batch: list[Row]) -> None:
        existing = {
            p.employee_id: p
            for p in Person.objects.filter(employee_id__in=[row.employee_id for row in batch])
        }
        new, dirty = [], []
        for row in batch:
            values = dict(
                name=row.name,
                other_names=row.other_names,
                email=row.email,
                phone=row.phone,
                unit_id=unit_ids.get(row.unit),
                title=row.title,
                grade=row.grade,
                is_executive=row.executive,
                is_active=True,
            )
            person = existing.get(row.employee_id)
            if person is None:
                new.append(Person(employee_id=row.employee_id, **values))
                continue
            current_manager[row.employee_id] = person.manager_id
            watch(row.employee_id, "is_executive", person.is_executive, row.executive)
            watch(row.employee_id, "is_active", person.is_active, True)
            watch(
                row.employee_id,
                "unit",
                unit_paths.get(person.unit_id) if person.unit_id else None,
                row.unit or None,
            )
            before = _stored_values(person)
            for name, value in values.items():
                setattr(person, name, value)
            if _stored_values(person) != before:
                person.updated_at = now
                dirty.append(person)
                changed.add(row.employee_id)
        Person.objects.bulk_create(new, batch_size=BATCH)
        _update(
            [*_UPDATED_FIELDS, "updated_at"],
            [(p.pk, *(getattr(p, name) for name in _UPDATED_FIELDS), now) for p in dirty],
        )
        result.added += len(new)

    with _open(path) as handle, _progress(path, _("importing"), show_progress) as bar:
        handle.readline()
        batch: list[Row] = []
        for line, fields in _records(handle):
            row, errors = _parse(line, fields)
            if row is None:  # the file changed since it was checked
                raise FileChanged(errors)
            batch.append(row)
            if len(batch) >= BATCH:
                flush(batch)
                batch = []
                bar.update(_position(handle) - bar.n)
        if batch:
            flush(batch)

    ids = dict(Person.objects.values_list("employee_id", "pk").iterator(chunk_size=5000))
    employee_ids: dict[int, str] = {}  # the reverse of ids, made only if a manager changes
    reassigned: list[tuple[object, ...]] = []
    for employee_id, manager_id in checked.managers.items():
        wanted = ids[manager_id] if manager_id else None
        if employee_id not in current_manager:  # added by this import, no manager yet
            if wanted is None:
                continue
        elif current_manager[employee_id] != wanted:
            changed.add(employee_id)
            employee_ids = employee_ids or {pk: emp for emp, pk in ids.items()}
            previous = current_manager[employee_id]
            watch(
                employee_id,
                "manager",
                employee_ids.get(previous) if previous else None,
                manager_id or None,
            )
        else:
            continue
        reassigned.append((ids[employee_id], wanted, now))
        if len(reassigned) >= BATCH:
            _update(["manager_id", "updated_at"], reassigned)
            reassigned = []
    _update(["manager_id", "updated_at"], reassigned)
    result.updated = len(changed)
    result.unchanged = len(current_manager) - result.updated
    for employee_id, details in watched.items():
        audit_record(
            actor=actor,
            action="directory.person.updated",
            object_type="directory.person",
            object_id=str(ids[employee_id]),
            details={"employee_id": employee_id, "source": "import", **details},
        )

    if deactivate_missing:
        leaving = [
            (pk, employee_id)
            for pk, employee_id in Person.objects.filter(is_active=True)
            .values_list("pk", "employee_id")
            .iterator(chunk_size=5000)
            if employee_id not in checked.managers
        ]
        for start in range(0, len(leaving), BATCH):
            chunk = [pk for pk, _employee_id in leaving[start : start + BATCH]]
            Person.objects.filter(pk__in=chunk).update(is_active=False, updated_at=now)
            sign_ins_stop(actor, chunk)
        for pk, employee_id in leaving:
            audit_record(
                actor=actor,
                action="directory.person.deactivated",
                object_type="directory.person",
                object_id=str(pk),
                details={"employee_id": employee_id, "source": "import"},
            )
        result.deactivated = len(leaving)
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def directory_import(
    *,
    actor: User | str,
    path: Path,
    deactivate_missing: bool = False,
    show_progress: bool = False,
) -> ImportResult:
    """Check the whole file; if any row is wrong, return every error and change nothing."""
    checked_sha256 = _sha256(path)
    checked = _check_file(path, deactivate_missing=deactivate_missing, show_progress=show_progress)
    if checked.errors:
        return ImportResult(errors=checked.errors)
    try:
        with transaction.atomic():
            from ombud.directory.services import GATES

            parties_before = GATES["import_snapshot"]() if "import_snapshot" in GATES else {}
            started = timezone.now()
            result = _write(
                path,
                checked,
                actor=actor,
                deactivate_missing=deactivate_missing,
                show_progress=show_progress,
            )
            if _sha256(path) != checked_sha256:
                raise FileChanged
            _audit_import(actor, path, checked_sha256, checked, result, deactivate_missing)
            if parties_before:
                GATES["import"](actor, parties_before)
            # Written in bulk, around save(): the rows get their integrity tags here.
            # Only rows this import wrote (a forged row dated ahead is not blessed).
            written = Person.objects.filter(updated_at__gte=started, updated_at__lte=timezone.now())
            rows_retag(written)
            if result.added or result.updated or result.deactivated:
                people_changed.send(sender=Person, actor=actor)
    except FileChanged:
        return ImportResult(
            errors=[RowError(0, _("the file changed while it was imported; nothing was imported"))]
        )
    return result


def _audit_import(
    actor: User | str,
    path: Path,
    sha256: str,
    checked: _Checked,
    result: ImportResult,
    deactivate_missing: bool,
) -> None:
    audit_record(
        actor=actor,
        action="directory.imported",
        object_type="directory",
        details={
            "file": path.name,
            "sha256": sha256,
            "rows": len(checked.lines),
            "added": result.added,
            "updated": result.updated,
            "deactivated": result.deactivated,
            "deactivate_missing": deactivate_missing,
        },
    )


__all__ = ["HEADER", "ImportResult", "RowError", "Unit", "directory_import"]
