from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "huiquan.catalog"
    label = "catalog"
    verbose_name = "商品目录"
