from django.core.management.base import BaseCommand, CommandError, CommandParser

from booking.bench import check_invariants, make_bench_show, report, run_clients
from catalog.models import Show


class Command(BaseCommand):
    help = ("Drive a running server's hold endpoint with many concurrent clients; print holds "
            "per second, latency percentiles and conflicts, then check the invariants. The "
            "server must use the same database as this command.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--clients", type=int, default=32)
        parser.add_argument("--requests", type=int, default=3000)
        parser.add_argument("--max-seats", type=int, default=4, choices=range(1, 11),
                            metavar="{1..10}")
        parser.add_argument("--hot", type=int, default=0,
                            help="only the first N seats (contention); 0 = the whole hall")
        parser.add_argument("--keep", action="store_true",
                            help="keep successful holds instead of releasing them")
        parser.add_argument("--show", type=int, help="an existing show (default: a fresh one)")

    def handle(self, *args, url, clients, requests, max_seats, hot, keep, show, **options):
        if clients < 1 or requests < 1:
            raise CommandError("--clients and --requests must be at least 1")
        target = Show.objects.filter(pk=show).first() if show else make_bench_show()
        if target is None:
            raise CommandError(f"no show with id {show}")
        seat_ids = list(target.hall.seats.filter(blocked=False).order_by("grid_row", "grid_col")
                        .values_list("id", flat=True))
        if hot:
            seat_ids = seat_ids[:hot]
        self.stdout.write(f"show {target.id}: {len(seat_ids)} seats in play, {clients} clients, "
                          f"{requests} hold requests of 1-{max_seats} seats against {url}")
        try:
            figures = run_clients(url=url, show_id=target.id, seat_ids=seat_ids,
                                  clients=clients, requests=requests, max_seats=max_seats,
                                  release=not keep)
        except OSError as exc:
            raise CommandError(f"cannot reach {url}: {exc}") from None
        self.stdout.write(report(figures))
        problems = check_invariants(target)
        if problems:
            raise CommandError("invariants broken: " + "; ".join(problems[:10]))
        self.stdout.write(self.style.SUCCESS("invariants hold: no seat in two live holds, "
                                             "every hold owns exactly its seats, no seat sold "
                                             "twice"))
