"""Evidence files of a case: checked by content, not by name (R-INT-2 keeps the evidence).

The check is verification's (``verification.files.check_upload``, the one that claim documents
pass): an image (JPEG, PNG, WebP) is decoded, limited in pixels (a decompression bomb is
refused) and re-encoded, which drops EXIF and anything hidden after it; a PDF is opened and
refused when it carries JavaScript, actions or embedded files. Its refusals are re-coded as
EVIDENCE_INVALID / EVIDENCE_TOO_LARGE with its Chinese message. The stored name is random; the
file lives in the "documents" storage (never under the web root) and is served only to the roles
that see cases.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.files.base import ContentFile

from huiquan.core.errors import DomainError
from huiquan.integrity.errors import CaseError, IntegrityCode
from huiquan.verification.files import MAX_BYTES, check_upload

__all__ = ["MAX_BYTES", "CheckedFile", "check_evidence"]
ALLOWED = frozenset({"image", "pdf"})


@dataclass(frozen=True)
class CheckedFile:
    content: ContentFile
    content_type: str
    size: int
    sha256: str  # of the stored bytes
    is_image: bool


def check_evidence(data: bytes) -> CheckedFile:
    try:
        checked = check_upload(data, allowed=ALLOWED)
    except DomainError as exc:
        if exc.status == 413:
            raise CaseError(f"证据文件过大：{exc.message}", code=IntegrityCode.EVIDENCE_TOO_LARGE,
                            status=413) from exc
        raise CaseError(f"证据文件不合格：{exc.message}（只接受图片或 PDF，按内容识别）",
                        code=IntegrityCode.EVIDENCE_INVALID) from exc
    return CheckedFile(ContentFile(checked.data,
                                   name=f"{secrets.token_hex(12)}.{checked.extension}"),
                       checked.content_type, len(checked.data), checked.sha256,
                       checked.is_image)
