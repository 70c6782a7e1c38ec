from celery import shared_task

from waitlist import services


@shared_task(ignore_result=True)
def serve_line(show_id: int, freed_at: float | None = None) -> int:
    outcome = services.serve_line(show_id, freed_at=freed_at)
    return len(outcome.offered)


@shared_task(ignore_result=True)
def serve_all_lines() -> int:
    return services.serve_all_lines()
