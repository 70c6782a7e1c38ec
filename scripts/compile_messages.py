"""Compile the translations (locale/<language>/LC_MESSAGES/*.po) into the .mo files Django
reads, with Babel: plain Python, so no GNU gettext is needed to build or run the site. Entries
marked fuzzy are left out, as msgfmt leaves them out. Run by `make install` and the Dockerfile.
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    compiled = 0
    for po in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parts[-3])
        with po.with_suffix(".mo").open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        compiled += 1
    print(f"compiled {compiled} message catalogs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
