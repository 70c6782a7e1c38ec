// The hold countdown, driven by the server's expiry (corrected for this device's clock).
(function () {
  "use strict";
  const box = document.querySelector("[data-expires]");
  if (!box) return;
  const expires = Date.parse(box.dataset.expires);
  const skew = Date.parse(box.dataset.serverNow) - Date.now();
  const clock = box.querySelector("[data-clock]");
  const warning = document.getElementById("hold-warning");
  const expired = document.getElementById("hold-expired");
  let warned = false;

  function tick() {
    const left = Math.max(0, Math.round((expires - (Date.now() + skew)) / 1000));
    clock.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    if (left <= 60 && !warned && left > 0) {
      warned = true;
      box.classList.add("warning");
      if (warning) warning.hidden = false;
    }
    if (left === 0) {
      box.classList.add("expired");
      if (warning) warning.hidden = true;
      if (expired) expired.hidden = false;
      const seats = document.querySelector(".tickets");
      if (seats) {
        seats.classList.add("released");
        seats.querySelector("caption").textContent = gettext("Seats released: your hold expired");
      }
      document.querySelectorAll("[data-needs-hold]").forEach((el) => { el.disabled = true; });
      return;
    }
    setTimeout(tick, 250);
  }
  tick();
})();
