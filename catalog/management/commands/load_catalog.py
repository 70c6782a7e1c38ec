import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.importer import CatalogError, load_catalog


class Command(BaseCommand):
    help = "Load cities, movies, cinemas (with halls) and shows from a JSON file, all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="catalog JSON file")

    def handle(self, *args, file: Path, **options) -> None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{file}: cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text") from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file}: not valid JSON: {exc.msg} at line {exc.lineno} "
                               f"column {exc.colno}") from None
        except RecursionError:
            raise CommandError(f"{file}: not a catalog: its JSON is nested too deeply") from None
        try:
            report = load_catalog(document)
        except CatalogError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Loaded {file}: {report.summary()}"))
