"""For pages outside the audit app: whether to offer a link into the audit log."""

from __future__ import annotations

from django import template

from ombud.web.audit.permissions import may_read_audit_log

register = template.Library()
register.filter("reads_audit_log", may_read_audit_log)
