"""Claim documents in S3-compatible object storage (issue 14 item 1): naming a bucket switches the
storage named "documents" to django-storages' S3 backend, private and never overwritten; without
one the documents stay on the local disk outside the web root."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, django
django.setup()
from django.core.files.storage import storages
s = storages["documents"]
print(json.dumps({"backend": type(s).__module__ + "." + type(s).__name__,
                  "bucket": getattr(s, "bucket_name", None), "acl": getattr(s, "default_acl", None),
                  "overwrite": getattr(s, "file_overwrite", None),
                  "endpoint": getattr(s, "endpoint_url", None),
                  "location": getattr(s, "location", None)}))
"""


def _documents_storage(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUIQUAN_DOCUMENTS_S3_")}
    out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True,
                         env={**clean, "DJANGO_SETTINGS_MODULE": "huiquan.settings", **env},
                         timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_named_bucket_keeps_documents_private_in_object_storage():
    found = _documents_storage(HUIQUAN_DOCUMENTS_S3_BUCKET="xixian-docs",
                               HUIQUAN_DOCUMENTS_S3_ENDPOINT="https://minio.example.test",
                               HUIQUAN_DOCUMENTS_S3_ACCESS_KEY="k",
                               HUIQUAN_DOCUMENTS_S3_SECRET_KEY="s")
    assert found == {"backend": "storages.backends.s3.S3Storage", "bucket": "xixian-docs",
                     "acl": "private", "overwrite": False,
                     "endpoint": "https://minio.example.test", "location": "documents"}


def test_without_a_bucket_documents_stay_on_the_local_disk():
    found = _documents_storage()
    assert found["backend"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert found["location"].endswith("documents")
