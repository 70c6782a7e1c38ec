"""Telling waiting clients what changed, after commit, over the channel layer."""

from django.db import transaction

from ticketing.live import send


def entry_group(entry_id: object) -> str:
    return f"waitlist-{entry_id}"


def line_group(show_id: int) -> str:
    return f"line-{show_id}"


def entries_changed(show_id: int, entry_ids: list) -> None:
    """These entries changed state, and positions in the show's line may have moved."""

    def publish() -> None:
        for entry_id in entry_ids:
            send(entry_group(entry_id), "entry.changed", {"id": str(entry_id)})
        send(line_group(show_id), "line.changed", {"show": show_id})

    transaction.on_commit(publish)
