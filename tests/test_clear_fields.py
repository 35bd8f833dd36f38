"""Every stored field is listed in docs/stored-in-clear.md, as encrypted or as clear
on purpose: a new field fails here until someone writes down why."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

DOC = Path(__file__).resolve().parent.parent / "docs" / "stored-in-clear.md"
ROW = re.compile(r"^\| `(?P<model>[a-z_]+\.[A-Za-z]+)`: (?P<fields>[^|]+)\|", re.MULTILINE)


def documented() -> set[str]:
    listed: set[str] = set()
    for row in ROW.finditer(DOC.read_text()):
        for field in re.findall(r"`([a-z_]+)`", row["fields"]):
            listed.add(f"{row['model']}.{field}")
    return listed


def stored_fields(model_classes: list[type[models.Model]]) -> set[str]:
    return {
        f"{model._meta.label}.{field.name}"
        for model in model_classes
        for field in model._meta.concrete_fields
    }


def ombud_models() -> list[type[models.Model]]:
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("ombud.")
        for model in config.get_models()
    ]


def inventory_problems(model_classes: list[type[models.Model]], listed: set[str]) -> list[str]:
    stored = stored_fields(model_classes)
    problems = [f"{name} is stored but not listed" for name in sorted(stored - listed)]
    labels = {model._meta.label for model in model_classes}
    problems += [
        f"{name} is listed but not stored"
        for name in sorted(listed - stored)
        if name.rsplit(".", 1)[0] in labels
    ]
    return problems


def test_every_stored_field_is_listed_as_encrypted_or_clear_on_purpose():
    assert inventory_problems(ombud_models(), documented()) == []
    assert len(documented()) > 80


def test_the_list_names_no_model_that_does_not_exist():
    labels = {model._meta.label for model in ombud_models()}
    assert {name.rsplit(".", 1)[0] for name in documented()} <= labels


@isolate_apps("ombud.cases")
def test_a_new_unlisted_field_fails_the_inventory():
    class CaseNote(models.Model):
        case_ref = models.CharField(max_length=20)
        text = models.TextField()  # someone forgot to encrypt this

        class Meta:
            app_label = "cases"

        def __str__(self) -> str:
            return self.case_ref

    listed = documented() | {"cases.CaseNote.id", "cases.CaseNote.case_ref"}
    assert inventory_problems([*ombud_models(), CaseNote], listed) == [
        "cases.CaseNote.text is stored but not listed"
    ]
