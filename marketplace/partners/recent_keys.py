"""A partner calling in a loop would otherwise pay for the same key lookup (the key, its
service user and organisation: a three-table join) on every request, a large share of a
cheap read's time. So each process remembers a key it has looked up for
API_KEY_CACHE_SECONDS (default 5): for that long at most, a key revoked, or whose user
or organisation was deactivated, still works in the other processes (the process that
revoked it forgets it at once; expiry is checked on every request). Every request gets
its own copy of the remembered objects, so nothing one request changes on them reaches
another. The secret is checked against the stored hash on every request, remembered or
not.
"""

from __future__ import annotations

import copy
import threading
import time

from django.conf import settings

from marketplace.partners.models import OrganisationAPIKey


class RecentKeys:
    """The keys this process looked up in the last API_KEY_CACHE_SECONDS, by prefix."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[float, OrganisationAPIKey]] = {}
        self._lock = threading.Lock()

    def get(self, prefix: str) -> OrganisationAPIKey | None:
        """A copy of the live key with this prefix (its service user and organisation
        loaded), or None when there is none. The organisation's lab or vendor is not
        remembered: views read it fresh, as they do every other row."""
        seconds = settings.API_KEY_CACHE_SECONDS
        now = time.monotonic()
        remembered = self._keys.get(prefix)
        if remembered is None or now - remembered[0] >= seconds:
            found = self._look_up(prefix)
            if found is None:  # unknown keys are not remembered: a guesser can't fill memory
                self.forget(prefix)
                return None
            if seconds > 0:
                with self._lock:
                    if len(self._keys) >= 10_000:
                        self._keys.clear()
                    self._keys[prefix] = (now, found)
            return found if seconds <= 0 else copy.deepcopy(found)
        return copy.deepcopy(remembered[1])

    def note_use(self, api_key: OrganisationAPIKey) -> None:
        """Keeps the remembered key's last-used time up to date, so the once-a-minute
        write is not tried again on every request until it is looked up afresh."""
        remembered = self._keys.get(api_key.prefix)
        if remembered is not None:
            remembered[1].last_used_at = api_key.last_used_at

    def forget(self, prefix: str) -> None:
        with self._lock:
            self._keys.pop(prefix, None)

    @staticmethod
    def _look_up(prefix: str) -> OrganisationAPIKey | None:
        return (
            OrganisationAPIKey.objects.select_related("actor", "organisation")
            .filter(revoked=False, prefix=prefix)
            .first()
        )


recent_keys = RecentKeys()
