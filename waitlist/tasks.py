from celery import shared_task

from waitlist import services


@shared_task(ignore_result=True)
def serve_line(show_id: int) -> int:
    outcome = services.serve_line(show_id)
    return len(outcome.offered)
