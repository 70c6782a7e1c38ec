"""Telling waiting clients what changed, after commit, over the channel layer."""

from django.db import transaction

from ticketing.live import send


def entry_group(entry_id: object) -> str:
    return f"waitlist-{entry_id}"


def line_group(show_id: int) -> str:
    return f"line-{show_id}"


def entries_changed(show_id: int, entry_ids: list, states: dict | None = None) -> None:
    """These entries changed state, and positions in the show's line may have moved.

    ``states``: an entry's new state as its client is sent it (without its token), by entry
    id, when the caller has it: that client is then told without reading the entry again (a
    bulk expiry tells hundreds of clients at once)."""
    states = states or {}

    def publish() -> None:
        for entry_id in entry_ids:
            message = {"id": str(entry_id)}
            if entry_id in states:
                message["state"] = states[entry_id]
            send(entry_group(entry_id), "entry.changed", message)
        send(line_group(show_id), "line.changed", {"show": show_id})

    transaction.on_commit(publish)
