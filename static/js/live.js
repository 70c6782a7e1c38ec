// Live updates on the show page: the seat map follows every committed change, and a waiting
// visitor's panel follows their place in line and turns into the offer when it arrives. What
// each state looks like comes from the server: the seat symbols from the page, the panel drawn
// by the same template as the page's (fetched again whenever the entry changes).
(function () {
  "use strict";
  const form = document.getElementById("hold-form");
  if (!form || !("WebSocket" in window)) return;
  const showId = form.dataset.show;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const symbols = JSON.parse(document.getElementById("seat-symbols").textContent);
  const notice = document.getElementById("selection-limit");
  let version = null;

  function setState(seat, state) {
    if (seat.dataset.state === state) return;
    // data-mine: a seat of this visitor's own hold (it stays selected); a seat merely chosen
    // on the map is one they are about to hold, which someone else may take first.
    if (seat.hasAttribute("data-mine")) return;
    const chosen = seat.classList.contains("selected") && seat.dataset.state === "available";
    seat.dataset.state = state;
    seat.classList.remove("available", "held", "booked", "blocked");
    seat.classList.add(state);
    seat.querySelector("span").textContent = symbols[state] || seat.dataset.number;
    if (state === "available") {
      seat.removeAttribute("aria-disabled");
    } else {
      seat.setAttribute("aria-disabled", "true");
      if (chosen) {
        seat.setAttribute("aria-pressed", "false");
        seat.classList.remove("selected");
        if (notice) {
          notice.textContent = interpolate(
            gettext("Seat %(seat)s was just taken by someone else; choose another."),
            { seat: seat.dataset.label }, true);
          notice.hidden = false;
        }
      }
    }
    if (window.ReelSeats) {
      window.ReelSeats.describeSeat(seat, seat.getAttribute("aria-pressed") === "true" ? "selected" : state);
      window.ReelSeats.updateSelection();
    }
  }

  function connectSeats(delay) {
    const socket = new WebSocket(`${scheme}://${location.host}/ws/shows/${showId}/`);
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type !== "seats") return;
      if (!message.snapshot && version !== null) {
        if (message.version <= version) return; // old news
        if (message.version > version + 1) { socket.close(); return; } // missed one: resync
      }
      version = message.version;
      message.seats.forEach(({ id, state }) => {
        const seat = form.querySelector(`.seat[data-seat="${id}"]`);
        if (seat) setState(seat, state);
      });
      document.body.dataset.seatVersion = String(version);
    };
    socket.onopen = () => { delay = 500; };
    socket.onclose = () => { version = null; setTimeout(() => connectSeats(Math.min(delay * 2, 10000)), delay); };
  }
  connectSeats(500);

  const panel = document.getElementById("waitlist-panel");
  if (!panel) return;
  // The panel is redrawn by the server whenever what it shows changes (waiting, offered, an
  // ending); a waiting visitor's place in line just updates in place, as the message says.
  let shown = null;
  let asked = 0;
  let drawn = 0;
  async function redraw(attempt = 1) {
    const mine = ++asked;
    try {
      const answer = await fetch(panel.dataset.panel, { credentials: "same-origin" });
      if (!answer.ok) throw new Error(String(answer.status));
      const html = await answer.text();
      if (mine < drawn) return; // a later drawing already arrived
      drawn = mine;
      panel.innerHTML = html;
    } catch (error) {
      if (attempt < 3) setTimeout(() => redraw(attempt + 1), 1000 * attempt);
    }
  }
  function update(entry) {
    const what = `${entry.state}:${entry.offer ? entry.offer.id : ""}`;
    const place = panel.querySelector("[data-position]");
    // Still waiting (the page drew that, or we did): only the place in line moves.
    if (entry.state === "waiting" && place && (shown === null || shown === what)) {
      place.textContent = String(entry.position);
    } else {
      redraw();
    }
    shown = what;
  }
  function connectEntry(delay) {
    const socket = new WebSocket(`${scheme}://${location.host}/ws/waitlist/${panel.dataset.entry}/`);
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "waitlist") update(message);
    };
    socket.onclose = (event) => {
      if (event.code === 4403) return; // not ours (any more)
      setTimeout(() => connectEntry(Math.min(delay * 2, 10000)), delay);
    };
  }
  connectEntry(500);
})();
