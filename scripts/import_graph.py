"""Draw the imports between the apps and between each app's modules, as Mermaid diagrams, into
docs/architecture.md (between its markers). Run: .venv/bin/python scripts/import_graph.py

The drawing comes from the code (grimp, which import-linter uses); `make lint` runs this with
--check, so it cannot fall behind, and checks the same graph against the layers contract."""

import re
import sys
from collections import Counter
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
APPS = ["storefront", "staff", "waitlist", "booking", "catalog", "ticketing"]  # top to bottom
# Only these modules of the platform put the site together, and so may name the apps.
ASSEMBLY = {"ticketing.urls", "ticketing.api_urls", "ticketing.routing", "ticketing.asgi"}
START, END = "<!-- imports:start -->", "<!-- imports:end -->"


def app_of(module: str) -> str:
    return module.split(".")[0]


def drawing() -> str:
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*APPS)
    between: Counter[tuple[str, str]] = Counter()
    inside: dict[str, set[tuple[str, str]]] = {app: set() for app in APPS}
    for importer in sorted(graph.modules):
        if importer in ASSEMBLY or ".migrations" in importer:
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            if ".migrations" in imported:
                continue
            a, b = app_of(importer), app_of(imported)
            if a != b:
                between[(a, b)] += 1
            elif importer.count(".") == 1 and imported.count(".") == 1:
                inside[a].add((importer.split(".")[1], imported.split(".")[1]))
    lines = ["Imports between the apps (the number: how many module imports), without the",
             "assembly modules (`ticketing.urls`, `api_urls`, `routing`, `asgi`):", "",
             "```mermaid", "flowchart TD"]
    lines += [f"    {a} -->|{n}| {b}" for (a, b), n in sorted(between.items(),
                                                              key=lambda e: (APPS.index(e[0][0]),
                                                                             APPS.index(e[0][1])))]
    lines += ["```", ""]
    upward = [(a, b) for a, b in between if APPS.index(b) < APPS.index(a) and
              {a, b} != {"storefront", "staff"}]
    lines.append(f"Upward imports: {len(upward) or 'none'}.")
    for app in APPS:
        edges = sorted(inside[app])
        if not edges:
            continue
        lines += ["", f"Inside `{app}`:", "", "```mermaid", "flowchart LR"]
        lines += [f"    {app}_{a}[{a}] --> {app}_{b}[{b}]" for a, b in edges]
        lines += ["```"]
    return "\n".join(lines)


def main() -> None:
    """Redraw; with --check, only say whether the drawing in the docs is the code's (make
    lint runs that, so the drawing cannot fall behind)."""
    path = ROOT / "docs" / "architecture.md"
    text = path.read_text()
    body = f"{START}\n{drawing()}\n{END}"
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: body, text, flags=re.S)
    if "--check" in sys.argv:
        if new != text:
            sys.exit(f"{path} does not draw the imports as they are: run scripts/import_graph.py")
        return
    path.write_text(new)
    print(f"updated {path}")


if __name__ == "__main__":
    main()
