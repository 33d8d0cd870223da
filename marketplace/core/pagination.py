"""API pagination (kept apart from core.api: DRF imports it while loading its generics)."""

from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """?limit=&offset=, 50 by default and never more than 100 a page."""

    default_limit = 50
    max_limit = 100
