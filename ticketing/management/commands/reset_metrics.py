from django.core.management.base import BaseCommand

from ticketing.metrics import reset_shared_directory, shared_directory


class Command(BaseCommand):
    help = ("Empty this host's metrics directory (PROMETHEUS_MULTIPROC_DIR). Run it before "
            "the host starts its web, worker and beat processes, never while they run.")

    def handle(self, *args, **options) -> None:
        directory = shared_directory()
        if directory is None:
            self.stdout.write("No PROMETHEUS_MULTIPROC_DIR: metrics live in the one process.")
            return
        removed = reset_shared_directory()
        self.stdout.write(f"Emptied {directory} ({removed} files).")
