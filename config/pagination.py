"""The API's list pages: ``limit`` and ``offset``, with a ceiling on ``limit``."""

from rest_framework.pagination import LimitOffsetPagination


class LimitOffset(LimitOffsetPagination):
    max_limit = 200
