from celery import shared_task

from booking.checkout import recover_payments
from booking.services import expire_holds


@shared_task(ignore_result=True)
def sweep_holds() -> int:
    return expire_holds()


@shared_task(ignore_result=True)
def recover_stuck_payments() -> int:
    return recover_payments()


@shared_task(ignore_result=True)
def email_show_cancelled(booking_id: int) -> None:
    from booking.emails import send_show_cancelled

    send_show_cancelled(booking_id)


@shared_task(ignore_result=True)
def email_booking_confirmation(booking_id: int) -> None:
    from booking.emails import send_booking_confirmation

    send_booking_confirmation(booking_id)
