import asyncio

from django.core.management.base import BaseCommand, CommandError, CommandParser

from waitlist.bench import report, run


class Command(BaseCommand):
    help = ("Time how fast freed seats reach the waiting list: from a hold's release or expiry "
            "to the offer message at the waiting client's websocket (p50, p99), and count "
            "order inversions (must be 0). The server must share this command's database.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--parties", type=int, default=50)
        parser.add_argument("--mode", choices=["release", "expire"], default="release")
        parser.add_argument("--gap-ms", type=int, default=20,
                            help="pause between releases (release mode)")

    def handle(self, *args, url, parties, mode, gap_ms, **options):
        if parties < 1:
            raise CommandError("--parties must be at least 1")
        try:
            figures = asyncio.run(run(url, parties, mode, gap_ms / 1000))
        except (OSError, RuntimeError, TimeoutError) as exc:
            raise CommandError(f"benchmark failed: {exc}") from None
        self.stdout.write(report(figures, mode))
        if figures.inversions or figures.missing:
            raise CommandError("the line was not served in order, or someone was never told")
