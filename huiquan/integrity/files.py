"""Evidence files of a case: checked by content, not by name (R-INT-2 keeps the evidence).

Only real JPEG/PNG images are taken (decoded by Pillow; verification has no shared file check
on main yet): at most 10 MB and 50 million pixels (a decompression bomb is refused), then
re-encoded, which drops EXIF and anything hidden after the image data. The stored name is
random; the file lives in the "documents" storage (never under the web root) and is served only
to the roles that see cases.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile

from huiquan.integrity.errors import CaseError, IntegrityCode

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000
TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


@dataclass(frozen=True)
class CheckedFile:
    content: ContentFile
    content_type: str
    size: int
    sha256: str  # of the stored (re-encoded) bytes


def _invalid(message: str = "证据文件只接受 JPG、PNG 图片（按内容识别，不看文件名）") -> CaseError:
    return CaseError(message, code=IntegrityCode.EVIDENCE_INVALID)


def check_image(data: bytes) -> CheckedFile:
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise CaseError("证据文件不能超过 10 MB", code=IntegrityCode.EVIDENCE_TOO_LARGE, status=413)
    if not data:
        raise _invalid("证据文件是空的")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if probe.width * probe.height > MAX_PIXELS:
                    raise _invalid("图片像素过大（最多 5000 万像素）")
                probe.verify()
            if kind not in TYPES:
                raise _invalid()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                clean = image.convert("RGB") if kind == "JPEG" else image.copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _invalid("图片像素过大（最多 5000 万像素）") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _invalid() from exc
    out = io.BytesIO()
    clean.save(out, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
    stored = out.getvalue()
    content_type, extension = TYPES[kind]
    return CheckedFile(ContentFile(stored, name=f"{secrets.token_hex(12)}.{extension}"),
                       content_type, len(stored), hashlib.sha256(stored).hexdigest())
