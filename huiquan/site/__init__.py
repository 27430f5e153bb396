"""The campaign page `/` and `/m/` (mobile H5): a surface above vouchers, consumers and
redemptions (docs/architecture.md). Its templates and static files are still those of
vouchers (templates/site/, static/site/)."""
