// Seat selection on the show page: seats are toggle buttons; the form posts the chosen ids.
(function () {
  "use strict";
  const form = document.getElementById("hold-form");
  if (!form) return;
  const max = Number(form.dataset.max || 10);
  const money = new Intl.NumberFormat(undefined, { style: "currency", currency: form.dataset.currency });
  const summary = document.getElementById("selection-summary");
  const limit = document.getElementById("selection-limit");
  const button = document.getElementById("hold-button");

  function seats() { return Array.from(form.querySelectorAll(".seat[data-seat]")); }
  function selected() { return seats().filter((s) => s.getAttribute("aria-pressed") === "true"); }

  function describe(seat, state) {
    seat.setAttribute("aria-label",
      `Row ${seat.dataset.row}, seat ${seat.dataset.number}, ${seat.dataset.category}, ${state}`);
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
        summary.textContent = "No seats selected.";
      } else {
        const total = chosen.reduce((sum, s) => sum + Number(s.dataset.price || 0), 0);
        summary.textContent = `${chosen.length} seat${chosen.length > 1 ? "s" : ""} selected: ` +
          chosen.map((s) => s.dataset.label).join(", ") + ` · total ${money.format(total)}`;
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
  window.ReelSeats = Object.assign(window.ReelSeats || {}, { describeSeat: describe, updateSelection: update });
  update();
})();
