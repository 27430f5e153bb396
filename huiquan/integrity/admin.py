"""Integrity signals, market supervision's cases and their entries in /admin/ (raw data),
read-only: every change goes through huiquan.integrity.services (audited)."""

from huiquan.core.admin_site import register_read_only
from huiquan.integrity.models import Case, CaseEntry, Signal

register_read_only(Signal, Case, CaseEntry)
