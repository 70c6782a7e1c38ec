"""Check a show's fairness log from its published data: ``manage.py verify_fairness SHOW``
(this site's database), or ``--url https://tickets.example`` (anyone's copy of the site: only
the public API is read)."""

import json
import urllib.parse
import urllib.request

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import Show
from ticketing import chain
from waitingroom.fairness import check, published_report


class Command(BaseCommand):
    help = "Recompute a show's fairness log: the hash chain, the draw, every admission and offer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("show", type=int, help="the show's id")
        parser.add_argument("--url", help="read the published report and log from this site")

    def handle(self, *args, show: int, url: str | None = None, **options) -> None:
        if url:
            report, records = _fetch(url, show)
        else:
            found = Show.objects.filter(pk=show).first()
            if found is None:
                raise CommandError(f"no show with id {show}")
            report = published_report(found)
            records = chain.published(chain.show_stream(show), upto=report["head"]["seq"])
        findings = check(records=records, head=report["head"]["hash"],
                         commitment=report["commitment"], seed=report["seed"])
        self.stdout.write(
            f"show {show}: {len(records)} records, head {report['head']['hash']}\n"
            f"joined {findings.joined}, drawn {findings.drawn}, let in {findings.admitted} "
            f"({findings.admitted_out_of_order} out of turn, {findings.admitted_twice} twice), "
            f"waiting-list offers {findings.waitlist_offers} "
            f"({findings.offers_out_of_order} out of turn)")
        if findings.problems:
            raise CommandError("the log does not check out:\n" + "\n".join(findings.problems))
        self.stdout.write(self.style.SUCCESS("every record checks out"))


def _get(url: str) -> dict:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise CommandError(f"{url}: only http and https addresses")
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (checked above)
            return json.load(response)
    except (OSError, ValueError) as exc:
        raise CommandError(f"could not read {url}: {exc}") from exc


def _fetch(base: str, show: int) -> tuple[dict, list[dict]]:
    base = base.rstrip("/")
    report = _get(f"{base}/api/v1/shows/{show}/fairness")
    records: list[dict] = []
    page = f"/api/v1/shows/{show}/fairness/log"
    while page:
        body = _get(f"{base}{page}")
        records.extend(body["records"])
        page = body.get("next")
    upto = report["head"]["seq"]  # the log may have grown since the report was read
    return report, [record for record in records if record.get("seq", 0) <= upto]
