from celery import shared_task

from waitingroom import services


@shared_task(ignore_result=True)
def admit(show_id: int) -> int:
    return len(services.admit(show_id=show_id))


@shared_task(ignore_result=True)
def admit_all() -> int:
    return services.admit_all()
