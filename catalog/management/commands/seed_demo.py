from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from catalog.demo import build_demo_catalog
from catalog.importer import load_catalog
from catalog.models import City


class Command(BaseCommand):
    help = "Load a realistic demo chain: 5 cities, 10 cinemas, 20 movies, shows for 14 days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=14, choices=range(1, 61),
                            metavar="{1..60}", help="days of shows from today (default 14)")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when the database already has cities")
        parser.add_argument("--premiere-in", type=int, choices=range(1, 601),
                            metavar="{1..600}",
                            help="the premiere goes on sale this many minutes from now "
                            "(its waiting room is open from 15 minutes before)")

    def handle(self, *args, days: int, if_empty: bool, premiere_in: int | None = None,
               **options) -> None:
        if if_empty and City.objects.exists():
            self.stdout.write("The catalog already has cities; not seeding.")
            return
        premiere_at = (None if premiere_in is None else
                       (timezone.now() + timedelta(minutes=premiere_in)).replace(microsecond=0))
        report = load_catalog(build_demo_catalog(timezone.localdate(), days=days,
                                                 premiere_at=premiere_at))
        self.stdout.write(self.style.SUCCESS(f"Demo catalog: {report.summary()}"))
