"""Submissions, their documents, checks and decisions in /admin/ (raw data), read-only."""

from huiquan.core.admin_site import register_read_only
from huiquan.verification.models import CheckResult, Document, ReviewDecision, Submission

register_read_only(Submission, Document, CheckResult, ReviewDecision)
