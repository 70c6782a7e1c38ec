// Seat selection on the show page: seats are toggle buttons; the form posts the chosen ids.
(function () {
  "use strict";
  const form = document.getElementById("hold-form");
  if (!form) return;
  const max = Number(form.dataset.max || 10);
  // Words come from the page's language (Django's JavaScript catalog, /jsi18n/).
  // The server's forms of each language (Babel's pt_PT, es_ES), not the browser's defaults.
  const lang = { en: "en-US", pt: "pt-PT", es: "es-ES" }[document.documentElement.lang];
  const money = new Intl.NumberFormat(lang, { style: "currency", currency: form.dataset.currency });
  const words = {
    standard: gettext("standard"), premium: gettext("premium"), accessible: gettext("accessible"),
    companion: gettext("companion"), available: gettext("available"), held: gettext("held"),
    booked: gettext("booked"), blocked: gettext("blocked"), selected: gettext("selected"),
  };
  const summary = document.getElementById("selection-summary");
  const limit = document.getElementById("selection-limit");
  const button = document.getElementById("hold-button");

  function seats() { return Array.from(form.querySelectorAll(".seat[data-seat]")); }
  function selected() { return seats().filter((s) => s.getAttribute("aria-pressed") === "true"); }

  function describe(seat, state) {
    seat.setAttribute("aria-label", interpolate(
      gettext("Row %(row)s, seat %(number)s, %(category)s, %(state)s"),
      { row: seat.dataset.row, number: seat.dataset.number,
        category: words[seat.dataset.category] || seat.dataset.category,
        state: words[state] || state }, true));
  }

  function update() {
    const chosen = selected();
    form.querySelectorAll("input[name=seat]").forEach((input) => input.remove());
    chosen.forEach((seat) => {
      const input = document.createElement("input");
      input.type = "hidden"; input.name = "seat"; input.value = seat.dataset.seat;
      form.appendChild(input);
    });
    if (summary) {
      if (!chosen.length) {
        summary.textContent = gettext("No seats selected.");
      } else {
        const total = chosen.reduce((sum, s) => sum + Number(s.dataset.price || 0), 0);
        summary.textContent = interpolate(ngettext(
          "%(count)s seat selected: %(seats)s · total %(total)s",
          "%(count)s seats selected: %(seats)s · total %(total)s", chosen.length),
        { count: chosen.length, seats: chosen.map((s) => s.dataset.label).join(", "),
          total: money.format(total) }, true);
      }
    }
    if (button) button.disabled = chosen.length === 0;
  }

  function toggle(seat) {
    if (seat.getAttribute("aria-disabled") === "true") return;
    const on = seat.getAttribute("aria-pressed") === "true";
    if (!on && selected().length >= max) {
      if (limit) limit.hidden = false;
      return;
    }
    if (limit) limit.hidden = true;
    seat.setAttribute("aria-pressed", on ? "false" : "true");
    seat.classList.toggle("selected", !on);
    describe(seat, on ? seat.dataset.state : "selected");
    update();
  }

  form.addEventListener("click", (event) => {
    const seat = event.target.closest(".seat[data-seat]");
    if (seat) { event.preventDefault(); toggle(seat); }
  });

  // Keyboard: one seat is in the tab order (roving tabindex); arrow keys move between seats
  // by their place in the hall, Home/End to the row's ends; Enter or Space toggles.
  const all = seats();
  const place = (s) => [Number(s.dataset.gridRow), Number(s.dataset.gridCol)];
  function focusSeat(next) {
    if (!next) return;
    all.forEach((s) => { s.tabIndex = s === next ? 0 : -1; });
    next.focus();
  }
  function nearest(from, dRow, dCol) {
    const [r, c] = place(from);
    let best = null, bestScore = Infinity;
    for (const s of all) {
      const [sr, sc] = place(s);
      if (dRow && Math.sign(sr - r) !== dRow) continue;
      if (dCol && (sr !== r || Math.sign(sc - c) !== dCol)) continue;
      const score = dRow ? Math.abs(sr - r) * 1000 + Math.abs(sc - c) : Math.abs(sc - c);
      if (score < bestScore) { best = s; bestScore = score; }
    }
    return best;
  }
  const start = all.find((s) => s.getAttribute("aria-pressed") === "true")
    || all.find((s) => s.dataset.state === "available") || all[0];
  all.forEach((s) => { s.tabIndex = s === start ? 0 : -1; });
  form.addEventListener("keydown", (event) => {
    const seat = event.target.closest(".seat[data-seat]");
    if (!seat) return;
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (moves[event.key]) {
      event.preventDefault();
      focusSeat(nearest(seat, ...moves[event.key]));
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      const row = all.filter((s) => s.dataset.gridRow === seat.dataset.gridRow);
      focusSeat(event.key === "Home" ? row[0] : row[row.length - 1]);
    }
  });
  window.ReelSeats = Object.assign(window.ReelSeats || {}, { describeSeat: describe, updateSelection: update });
  update();
})();
