"""Consumers and their consents in /admin/ (the system admin's raw data view), read-only:
no codes, tokens or ciphertext."""

from huiquan.consumers.models import Consumer, IdentityConsent, SmsMessage
from huiquan.core.admin_site import register_read_only

register_read_only(Consumer, IdentityConsent, SmsMessage)
