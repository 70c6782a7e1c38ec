"""The load process: ``python -m bench.load SCENARIO --url URL [--options JSON]``.

Runs one scenario against servers started elsewhere and prints its figures as one JSON object.
It shares the servers' database (DATABASE_URL) for the catalog and the checks afterwards.
"""

import argparse
import asyncio
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("scenario", choices=["s1", "s2", "s2one", "s3", "s4", "s5", "s6"])
    parser.add_argument("--url", required=True, help="the web server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--options", default="{}", help="keyword arguments, as a JSON object")
    args = parser.parse_args(argv)
    try:
        options = json.loads(args.options)
    except json.JSONDecodeError as exc:
        parser.error(f"--options is not JSON: {exc}")
    if not isinstance(options, dict):
        parser.error("--options must be a JSON object")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketing.settings")
    import django

    django.setup()
    from bench import premiere, scenarios

    run = {"s1": scenarios.holds_at_rising_rates, "s2": scenarios.on_sale_herd,
           "s2one": scenarios.on_sale_herd,
           "s3": scenarios.waitlist_bulk_expiry, "s4": scenarios.live_connections,
           "s5": scenarios.seat_map_reads, "s6": premiere.premiere_room}[args.scenario]
    try:
        import uvloop
    except ImportError:  # uvloop makes the generator cheaper; plain asyncio works too
        figures = asyncio.run(run(args.url, **options))
    else:
        figures = uvloop.run(run(args.url, **options))
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
