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

    def handle(self, *args, days: int, if_empty: bool, **options) -> None:
        if if_empty and City.objects.exists():
            self.stdout.write("The catalog already has cities; not seeding.")
            return
        report = load_catalog(build_demo_catalog(timezone.localdate(), days=days))
        self.stdout.write(self.style.SUCCESS(f"Demo catalog: {report.summary()}"))
