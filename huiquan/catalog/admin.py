"""The catalogue in /admin/ (the system admin's raw data view), read-only."""

from huiquan.catalog.models import CatalogVersion, Kind, Product
from huiquan.core.admin_site import register_read_only

register_read_only(CatalogVersion, Kind, Product)
