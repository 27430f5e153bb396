"""Campaigns, funding sources, periods, releases in /admin/ (the system admin's raw data view), read-only."""

from huiquan.campaigns.models import Campaign, FundingSource, Period, Release
from huiquan.core.admin_site import register_read_only

register_read_only(Campaign, FundingSource, Period, Release)
