"""The results of ``make bench`` as a Markdown table, written into docs/performance.md between
two markers (everything else on that page is prose kept by hand)."""

from pathlib import Path

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"


def _n(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _lat(latency: dict) -> str:
    return " / ".join(_n(latency.get(k)) for k in ("p50", "p90", "p99", "p99.9") if k in latency)


def _rates(steps: list[dict]) -> str:
    return "; ".join(
        f"{_n(s['offered_rate'])}/s → {_n(s['answered_per_s'])}/s, p99 {_n(s['latency_ms']['p99'])}"
        + ("" if set(s["statuses"]) <= {"200", "201"} and not s["errors"]
           else f" ({', '.join(f'{k}: {v}' for k, v in {**s['statuses'], **s['errors']}.items())})")
        for s in steps)


def _cpu(s1: dict) -> str:
    """CPU per hold at the highest rate met (the first step if none was), when measured."""
    steps = [step for step in s1["steps"] if "web_cpu_ms_per_hold" in step]
    if not steps:
        return ""
    step = max((step for step in steps if step["met_target"]), default=steps[0],
               key=lambda step: step["offered_rate"])
    return (f"; CPU per hold at {_n(step['offered_rate'])}/s: web {step['web_cpu_ms_per_hold']}"
            f" ms, whole machine {step['machine_cpu_ms_per_hold']} ms (the host took "
            f"{step['stolen_share']:.0%} of the cores' time)")


def rows(mode: str, figures: dict) -> list[tuple[str, str, str]]:
    out = []
    if s1 := figures.get("s1"):
        best = s1["best_rate_p99_under_target"]
        out.append(("S1 holds, no contention",
                    f"highest rate with p99 < {_n(s1['p99_target_ms'])} ms: **{_n(best)}/s**; "
                    f"invariant problems: {len(s1['invariant_problems'])}{_cpu(s1)}",
                    _rates(s1["steps"])))
        if pg := figures.get("pgbench"):
            out.append(("PostgreSQL's own hold transaction (pgbench)",
                        f"**{_n(pg.get('tps'))} tps**, {pg.get('latency_average_ms')} ms average; "
                        f"S1 best = **{pg.get('s1_best_rate_fraction', 0):.1%}** of it",
                        f"{pg.get('clients')} clients, {pg.get('seconds')} s"))
        if floor := figures.get("s1_minimal"):
            out.append(("S1 on a minimal endpoint doing our hold SQL (`bench/minimal_hold.py`)",
                        f"highest rate with p99 < {_n(floor['p99_target_ms'])} ms: "
                        f"**{_n(floor['best_rate_p99_under_target'])}/s**; S1 best = "
                        f"**{best / max(floor['best_rate_p99_under_target'], 1):.0%}** of it"
                        f"{_cpu(floor)}",
                        _rates(floor["steps"])))
    for key, label in (("s2", "S2 on-sale herd"), ("s2one", "S2 herd, one web process")):
        if (s2 := figures.get(key)) is None:
            continue
        fair = s2["fairness"]
        out.append((label,
                    f"{_n(s2['clients'])} clients on {_n(s2['seats'])} seats: "
                    f"**{_n(s2['decisions_per_s'])} decisions/s**, p99 "
                    f"**{_n(s2['latency_ms']['p99'])} ms**, oversold **{s2['oversold_seats']}**",
                    f"last seat held after {_n(s2['last_seat_held_after_ms'])} ms "
                    f"({s2['seats_left_free']} left free: every request for them also "
                    "wanted a taken seat); "
                    f"all answered after {_n(s2['every_request_answered_after_ms'])} ms; "
                    + _fcfs(s2) +
                    f"earliest request won {fair['earliest_won_share']:.1%} of "
                    f"{_n(fair['contested_seats'])} contested seats, unexplained losses "
                    f"{fair['unexplained_losses']}; p50/p90/p99/p99.9 {_lat(s2['latency_ms'])} ms"))
    if s3 := figures.get("s3"):
        d = s3["expiry_to_offer_ms"]
        out.append(("S3 waiting list, bulk expiry",
                    f"{_n(s3['parties'])} parties: expiry → offer p50 {_n(d['p50'])} ms, "
                    f"p99 **{_n(d['p99'])} ms**; inversions **{s3['order_inversions']}**",
                    f"offered {s3['offered']}, never told {s3['never_told']}, "
                    f"max {_n(d['max'])} ms"))
    if s4 := figures.get("s4"):
        d = s4["change_to_client_ms"]
        per = s4["bytes_per_connection"]
        out.append(("S4 live connections, one web process",
                    f"**{_n(s4['connected'])}** of {_n(s4['target'])} sockets; "
                    f"**{_n(per / 1024 if per else None)} KiB** per connection; change reached "
                    f"{_n(s4['reached'])} sockets, all within **{_n(d['max'])} ms**",
                    f"RSS {s4['server_rss_mb']['before']} → {s4['server_rss_mb']['after']} MiB; "
                    f"connected in {s4['connect_seconds']} s; fan-out p50 {_n(d['p50'])} ms, "
                    f"p99 {_n(d['p99'])} ms; failures {s4['failures'] or 0}"))
    if s5 := figures.get("s5"):
        for name, label in (("api", "S5 seat-map API"), ("page", "S5 show page")):
            part = s5[name]
            out.append((label,
                        f"highest rate with p99 < {_n(part['p99_target_ms'])} ms: "
                        f"**{_n(part['best_rate_p99_under_target'])}/s**; most answered "
                        f"{_n(part['most_answered_per_s'])}/s",
                        _rates(part["steps"])))
    if s6 := figures.get("s6"):
        told, log, per = s6["opening_to_place_ms"], s6["log"], s6["bytes_per_waiting_socket"]
        out.append(("S6 premiere waiting room",
                    f"{_n(s6['visitors'])} visitors: joins **{_n(s6['joins']['answered_per_s'])}"
                    f"/s** (p99 {_n(s6['joins']['latency_ms']['p99'])} ms); opening → place "
                    f"p99 **{_n(told['p99'])} ms**, max {_n(told['max'])} ms, never told "
                    f"**{s6['never_told']}**; let in out of order **"
                    f"{log['admitted_out_of_order']}**, twice **{log['admitted_twice']}**",
                    f"let in {_n(s6['let_in_per_minute'])}/min (configured "
                    f"{_n(s6['admit_per_minute'])}); "
                    f"{_n(per / 1024 if per else None)} KiB per waiting socket; "
                    f"{s6['watching']} watching, connected in {s6['connect_seconds']} s; "
                    f"log check ok: {log['ok']}"))
    return [(mode, *row) for row in out]


def _fcfs(s2: dict) -> str:
    fcfs = s2.get("first_come_first_served")
    if not fcfs:
        return ""
    return (f"first come, first served by arrival at the server: {fcfs['of_which_won']} of the "
            f"{fcfs['sequencer_grants']} requests a sequencer grants won "
            f"({fcfs['share']:.1%}; arrivals spread over {_n(fcfs['arrival_spread_ms'])} ms); ")


def targets(results: dict) -> list[tuple[str, str, str, str]]:
    """The rush issue's targets against this run: (target, measured, beside it, met)."""
    out = []
    prod = results["modes"].get("production", {})
    zero = results["modes"].get("zero-setup", {})

    def met(ok: bool | None) -> str:
        return "-" if ok is None else ("**yes**" if ok else "no")

    if s1 := prod.get("s1"):
        best = s1["best_rate_p99_under_target"]
        pg = prod.get("pgbench", {})
        floor = prod.get("s1_minimal", {}).get("best_rate_p99_under_target")
        out.append(("holds: ≥ 1,000/s through the API, p99 < 100 ms", f"{_n(best)}/s",
                    f"PostgreSQL's own rate for the hold transaction: {_n(pg.get('tps'))} tps; "
                    f"a minimal endpoint doing our hold SQL, same load: {_n(floor)}/s",
                    met(best >= 1000)))
    if s2 := prod.get("s2"):
        answered = s2["every_request_answered_after_ms"]
        fcfs = s2.get("first_come_first_served", {})
        out += [
            ("rush: every request answered within 1 s of the first (3 s at most)",
             f"{_n(answered)} ms", "", met(answered <= 1000)),
            ("rush: p99 < 1 s", f"{_n(s2['latency_ms']['p99'])} ms", "",
             met(s2["latency_ms"]["p99"] < 1000)),
            ("rush: 0 oversold", str(s2["oversold_seats"]), "", met(s2["oversold_seats"] == 0)),
            ("rush: ≥ 99% of what a first-come-first-served sequencer grants (by arrival at "
             "the server) wins", f"{fcfs.get('share', 0):.1%}" if fcfs else "-",
             f"{fcfs.get('of_which_won')} of {fcfs.get('sequencer_grants')}" if fcfs else "",
             met(fcfs.get("share", 0) >= 0.99) if fcfs else "-"),
            ("rush: the losers' 409 names the seats", str(s2.get("losers_named_seats", "-")),
             "", met(s2.get("losers_named_seats"))),
        ]
    if (one := prod.get("s2one")) and (fcfs := one.get("first_come_first_served")):
        out.append(("rush on one web process: first come, first served", f"{fcfs['share']:.1%}",
                    f"{fcfs['of_which_won']} of {fcfs['sequencer_grants']}; all answered after "
                    f"{_n(one['every_request_answered_after_ms'])} ms",
                    met(fcfs["share"] >= 0.99)))
    if s2z := zero.get("s2"):
        answered = s2z["every_request_answered_after_ms"]
        out.append(("rush, zero-setup (SQLite): within 3 s, 0 oversold",
                    f"{_n(answered)} ms, {s2z['oversold_seats']} oversold", "",
                    met(answered <= 3000 and s2z["oversold_seats"] == 0)))
    if s3 := prod.get("s3"):
        p99 = s3["expiry_to_offer_ms"]["p99"]
        out.append(("waiting list: expiry → offer p99 < 1 s, 0 inversions",
                    f"{_n(p99)} ms, {s3['order_inversions']} inversions", "",
                    met(p99 < 1000 and s3["order_inversions"] == 0)))
    for mode, figures in (("", prod), (" (zero-setup)", zero)):
        if s6 := figures.get("s6"):
            told, log = s6["opening_to_place_ms"], s6["log"]
            out.append((f"premiere{mode}: 10,000 told their place within 2 s of the opening; "
                        "0 let in out of order, 0 twice",
                        f"max {_n(told['max'])} ms, {s6['never_told']} never told; "
                        f"{log['admitted_out_of_order']} out of order, "
                        f"{log['admitted_twice']} twice",
                        f"{_n(s6['visitors'])} visitors; let in "
                        f"{_n(s6['let_in_per_minute'])}/min of {_n(s6['admit_per_minute'])}",
                        met(told["max"] <= 2000 and s6["never_told"] == 0
                            and log["admitted_out_of_order"] == 0
                            and log["admitted_twice"] == 0)))
    if s5 := prod.get("s5"):
        best = s5["api"]["best_rate_p99_under_target"]
        out.append(("seat maps: ≥ 2,000 reads/s, p99 < 50 ms", f"{_n(best)}/s",
                    f"most answered {_n(s5['api']['most_answered_per_s'])}/s",
                    met(best >= 2000)))
    return out


def render_targets(results: dict) -> str:
    lines = ["| target (production unless said) | measured | beside it, same run | met |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(row)} |" for row in targets(results)]
    return "\n".join(lines) + "\n"


def render_table(results: dict) -> str:
    meta = results["meta"]
    packages = ", ".join(f"{k} {v}" for k, v in meta["packages"].items())
    lines = [
        f"Run {meta['date']} at commit {meta['git']}{' (quick sizes)' if results['quick'] else ''}"
        f": {meta['cpu']}, {meta['cores']} cores, {meta['memory_gib']} GiB, Linux "
        f"{meta['kernel']}; Python {meta['python']}, {packages}; PostgreSQL "
        f"{meta['postgresql']}; {meta['redis']}. The load process runs on the same cores.",
        "",
    ]
    for mode, figures in results["modes"].items():
        settings = ", ".join(f"{k}={v}" for k, v in figures["settings"].items())
        lines.append(f"- {mode}: {settings}")
    lines += ["", "| mode | scenario | result | detail (offered → answered, p99 in ms) |",
              "| --- | --- | --- | --- |"]
    for mode, figures in results["modes"].items():
        lines += [f"| {' | '.join(row)} |" for row in rows(mode, figures)]
    lines += ["", "Against the rush issue's targets:", "", render_targets(results).rstrip()]
    return "\n".join(lines) + "\n"


def write_docs(path: Path, results: dict) -> None:
    text = path.read_text()
    table = f"{START}\n{render_table(results)}{END}"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + table + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Latest `make bench`\n\n" + table + "\n"
    path.write_text(text)
