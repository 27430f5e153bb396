"""Ids in page URLs (issue 11, item 3): at most 19 ASCII digits and at most 2^63 - 1, the
largest id the database holds. Django's ``int`` converter takes any length, and an id above
2^63 then failed inside the database driver (a 500) instead of answering 404."""

from __future__ import annotations

from django.urls import register_converter

MAX_ID = 2**63 - 1


class DatabaseId:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("id out of range")  # Django: this URL does not match (404)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(DatabaseId, "id")  # <id:...> in the apps' URLs: never above 2^63 - 1
