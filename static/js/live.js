// Live updates on the show page: the seat map follows every committed change, and a waiting
// visitor's panel follows their place in line and turns into the offer when it arrives.
(function () {
  "use strict";
  const form = document.getElementById("hold-form");
  if (!form || !("WebSocket" in window)) return;
  const showId = form.dataset.show;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const symbols = { held: "◷", booked: "✕", blocked: "⊘" };
  const notice = document.getElementById("selection-limit");
  let version = null;

  function setState(seat, state) {
    if (seat.dataset.state === state) return;
    const mine = seat.classList.contains("selected") && seat.dataset.state === "available";
    const holdingIt = seat.hasAttribute("data-mine");
    if (holdingIt) return; // our own hold: it stays selected
    seat.dataset.state = state;
    seat.classList.remove("available", "held", "booked", "blocked");
    seat.classList.add(state);
    seat.querySelector("span").textContent = symbols[state] || seat.dataset.number;
    if (state === "available") {
      seat.removeAttribute("aria-disabled");
    } else {
      seat.setAttribute("aria-disabled", "true");
      if (mine) {
        seat.setAttribute("aria-pressed", "false");
        seat.classList.remove("selected");
        if (notice) {
          notice.textContent = `Seat ${seat.dataset.label} was just taken by someone else; choose another.`;
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
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  function leaveForm(label) {
    return `<form method="post" action="${panel.dataset.leave}"><input type="hidden" name="csrfmiddlewaretoken" value="${csrf}"><button type="submit">${label}</button></form>`;
  }
  function render(entry) {
    if (entry.state === "waiting") {
      panel.innerHTML = `<h2 id="waitlist-title">You're on the waiting list</h2><p role="status">You are number <strong data-position>${entry.position}</strong> in line for ${entry.party_size} seat${entry.party_size > 1 ? "s" : ""}. Keep this page open: the moment seats free up they are held for you and shown here.</p>` + leaveForm("Leave the waiting list");
    } else if (entry.state === "offered" && entry.offer) {
      const seats = entry.offer.seats.map((s) => `${s.row}${s.number}`).join(", ");
      panel.innerHTML = `<h2 id="waitlist-title">Seats for you!</h2><p role="alert">Your turn came: ${seats} are held for you for ${Math.ceil(entry.offer.seconds_left / 60)} minutes.</p><p><a class="button primary" href="/holds/${entry.offer.id}/">Pay for these seats</a></p>` + leaveForm("No thanks, give them to the next person");
    } else {
      const words = {
        fulfilled: "You booked your seats from the waiting list. Enjoy the film!",
        expired: "Your offer ran out and the seats went to the next person in line.",
        left: "You left the waiting list.",
        unfulfillable: "Sorry: not enough seats can free up for your party any more, so you have left the line.",
      };
      panel.innerHTML = `<h2 id="waitlist-title">Waiting list</h2><p role="alert">${words[entry.state] || entry.state}</p>`;
    }
  }
  function connectEntry(delay) {
    const socket = new WebSocket(`${scheme}://${location.host}/ws/waitlist/${panel.dataset.entry}/`);
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "waitlist") render(message);
    };
    socket.onclose = (event) => {
      if (event.code === 4403) return; // not ours (any more)
      setTimeout(() => connectEntry(Math.min(delay * 2, 10000)), delay);
    };
  }
  connectEntry(500);
})();
