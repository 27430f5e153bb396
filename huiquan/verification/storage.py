"""Where claim documents are kept: Django's storage named "documents" (settings.STORAGES) —
local disk outside the web root by default, S3-compatible object storage in deployment."""

from __future__ import annotations

from django.core.files.storage import Storage, storages


def documents() -> Storage:
    return storages["documents"]


def upload_path(instance: object, filename: str) -> str:
    """Never the name the merchant gave: submissions/<id>/<random>.<ext>."""
    import secrets

    submission_id = getattr(instance, "submission_id", None) or 0
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"submissions/{submission_id}/{secrets.token_hex(12)}.{extension[:8]}"


def read(document: object) -> bytes:
    """A document's stored bytes, through the storage as configured now (the field's own
    storage was fixed when the model was imported)."""
    with documents().open(document.file.name, "rb") as handle:  # type: ignore[attr-defined]
        data: bytes = handle.read()
    return data
