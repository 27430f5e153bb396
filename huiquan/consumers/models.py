"""Real-name consumers (R-CLAIM-1): phone verified by a one-time code, then name + resident ID.

The ID number is never stored in clear: ``id_cipher`` (Fernet, rotatable keys) for the rare
lawful read, ``id_hash`` (HMAC) for "one ID, one account", ``id_masked`` for display
(invariant 7).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Consumer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="consumer")
    phone = models.CharField("手机号", max_length=11, unique=True)
    real_name = models.CharField("姓名", max_length=32, blank=True)
    id_cipher = models.TextField(blank=True)
    id_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_masked = models.CharField("身份证号", max_length=18, blank=True)
    verified_at = models.DateTimeField("实名时间", null=True, blank=True)
    created_at = models.DateTimeField()
    # Set only when hashes were recomputed on the canonical form (migration 0002, issue 11): the
    # canonical hash of an ID another, earlier verified account already holds (``id_hash`` is
    # then empty: it stays unique). A held account cannot claim until an operator decides
    # (`huiquan consumers duplicates`); nothing is deleted automatically.
    id_duplicate_hash = models.CharField(max_length=64, blank=True, db_index=True)
    held_at = models.DateTimeField("暂停时间", null=True, blank=True)
    held_reason = models.CharField("暂停原因", max_length=255, blank=True)

    class Meta:
        verbose_name = "消费者"
        verbose_name_plural = "消费者"

    def __str__(self) -> str:
        return f"{self.real_name or '未实名'} {self.phone[:3]}****{self.phone[-4:]}"

    @property
    def is_verified(self) -> bool:
        """Real-name verified and not held for an operator's review."""
        return self.verified_at is not None and self.held_at is None


class IdentityConsent(models.Model):
    """A resident's separate consent to the ID notice before giving the number (PIPL art. 29):
    which version of the notice (``consumers.privacy``), when, and through which channel."""

    consumer = models.ForeignKey(Consumer, on_delete=models.PROTECT, related_name="consents")
    notice_version = models.CharField("告知版本", max_length=32)
    given_at = models.DateTimeField("同意时间")
    channel = models.CharField("渠道", max_length=8)  # web | api

    class Meta:
        verbose_name = "实名信息处理同意"
        verbose_name_plural = "实名信息处理同意"

    def __str__(self) -> str:
        return f"consent {self.notice_version} of {self.consumer_id}"


class OtpCode(models.Model):
    """One code sent to one phone. Only its keyed hash is stored."""

    phone = models.CharField(max_length=11, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["phone", "created_at"])]

    def __str__(self) -> str:
        return f"otp {self.phone[:3]}**** {self.created_at:%H:%M}"


class OtpIpGuard(models.Model):
    """Wrong phone codes counted per client address (hostile input second round, F5): each code
    has 5 tries, but one address spraying guesses over many phones is stopped here."""

    ip = models.GenericIPAddressField(unique=True)
    window_start = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"otp guard {self.ip}: {self.failures}"


class SmsMessage(models.Model):
    """The sandbox SMS provider's outbox (nothing leaves the machine in sandbox mode)."""

    phone = models.CharField(max_length=11, db_index=True)
    body = models.CharField(max_length=255)
    idempotency_key = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"sms {self.phone[:3]}****"


class ApiToken(models.Model):
    """A bearer token for the API. Only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token of {self.user_id}"
