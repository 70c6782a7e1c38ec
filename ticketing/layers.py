"""The channel layer of zero-setup mode: Channels' in-memory layer, tidied once a second.

``InMemoryChannelLayer`` walks every channel and every group membership of the process on
each ``send``, ``receive`` and ``group_send`` to drop what has expired (messages after a
minute, memberships after a day). Every socket's consumer is one pending ``receive``, so each
socket that connects walked all the others: profiled under the premiere scenario (10,000
sockets), that walk was 85% of the server loop's time, and the sockets took four minutes to
connect. Expiry is measured in a minute and a day; tidying at most once a second keeps it
to within a second of that."""

import time

from channels.layers import InMemoryChannelLayer

TIDY_EVERY_SECONDS = 1.0


class TidiedInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._tidied_at = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._tidied_at >= TIDY_EVERY_SECONDS:
            self._tidied_at = now
            super()._clean_expired()
