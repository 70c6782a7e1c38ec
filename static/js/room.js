// The waiting room, live: a countdown to the on-sale time (by the server's clock), and the
// visitor's place, people ahead and wait from the room's websocket; at their turn the page
// moves on to the seat map by itself. Without JavaScript the page reloads every 15 seconds.
(function () {
  "use strict";
  const room = document.getElementById("room");
  if (!room) return;
  const onSale = Date.parse(room.dataset.onSale);
  const skew = Date.parse(room.dataset.serverNow) - Date.now();
  const clock = room.querySelector("[data-countdown]");

  function tick() {
    if (!clock) return;
    const left = Math.max(0, Math.round((onSale - (Date.now() + skew)) / 1000));
    const h = Math.floor(left / 3600);
    const m = Math.floor((left % 3600) / 60);
    const s = left % 60;
    clock.textContent = (h ? `${h}:${String(m).padStart(2, "0")}` : `${m}`) +
      `:${String(s).padStart(2, "0")}`;
    if (left > 0) setTimeout(tick, 250);
  }
  tick();

  const visitor = room.dataset.visitor;
  const status = document.getElementById("room-status");
  if (!visitor || !status || !("WebSocket" in window)) return;
  const place = document.getElementById("room-place");

  function show(message) {
    if (message.state === "your_turn") {
      location.assign(room.dataset.showPage);
      return;
    }
    if (message.place && place) place.textContent = message.place;
    const p = document.createElement("p");
    const strong = document.createElement("strong");
    if (message.state === "waiting") {
      strong.textContent = interpolate(gettext("Your place in line: %s."), [message.place]);
      p.append(strong, " ", interpolate(ngettext("%s person ahead of you.",
        "%s people ahead of you.", message.ahead), [message.ahead]));
      if (message.wait_seconds !== null) {
        const minutes = Math.max(1, Math.ceil(message.wait_seconds / 60));
        p.append(" ", interpolate(ngettext(
          "About %s minute to wait, at the rate people are let in now.",
          "About %s minutes to wait, at the rate people are let in now.", minutes), [minutes]));
      }
    } else if (message.state === "sold_out") {
      location.reload();  // the page offers the waiting list
      return;
    } else {
      return;  // before the opening: nothing new to say
    }
    status.replaceChildren(p);
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/room/${visitor}/`);
    socket.onmessage = (event) => {
      delay = 1000;
      const message = JSON.parse(event.data);
      if (message.type === "room") show(message);
    };
    socket.onclose = (event) => {
      if (event.code === 4403) return;
      setTimeout(connect, delay);  // the same place comes back with the session
      delay = Math.min(delay * 2, 15000);
    };
  }
  connect();
})();
