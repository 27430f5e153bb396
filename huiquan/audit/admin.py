"""The audit chain in /admin/ (the system admin's raw data view), read-only."""

from huiquan.audit.models import AuditEntry, AuditHead
from huiquan.core.admin_site import register_read_only

register_read_only(AuditEntry, AuditHead)
