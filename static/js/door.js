// The door: scan a ticket's QR code with the camera (the browser's BarcodeDetector where it
// has one, jsQR otherwise) or type its reference, and show the answer in large words. Scans
// made while the connection is down are kept on this device and sent when it is back.
(function () {
  "use strict";
  const root = document.getElementById("door");
  if (!root) return;
  const admitUrl = root.dataset.admitUrl;
  const queueKey = "door-queue:" + root.dataset.show;
  const result = document.getElementById("door-result");
  const queueNote = document.getElementById("door-queue");
  const log = document.getElementById("door-log");
  const doorName = document.getElementById("door-name");
  doorName.value = localStorage.getItem("door-name") || doorName.value;
  doorName.addEventListener("change", () => localStorage.setItem("door-name", doorName.value));

  const queue = JSON.parse(localStorage.getItem(queueKey) || "[]");
  function saveQueue() {
    localStorage.setItem(queueKey, JSON.stringify(queue));
    queueNote.hidden = queue.length === 0;
    queueNote.textContent = queue.length === 1 ? "1 scan waiting to be sent"
      : queue.length + " scans waiting to be sent";
  }

  function show(answer) {
    result.hidden = false;
    result.className = "door-result " + answer.outcome;
    result.textContent = answer.message;
    if (answer.seats && answer.seats.length) {
      const seats = document.createElement("span");
      seats.className = "door-seats";
      seats.textContent = "Seats " + answer.seats.join(", ") +
        (answer.ticket_types ? " · " + answer.ticket_types : "");
      result.appendChild(seats);
    }
    const entry = document.createElement("li");
    entry.textContent = (answer.reference ? answer.reference + ": " : "") + answer.message;
    log.prepend(entry);
    while (log.children.length > 20) log.lastChild.remove();
  }

  // The site's answer. Only a missing answer (no connection, the site away) is "offline":
  // signed out, or any other refusal, is shown as it is and the scan is not kept.
  async function send(item) {
    const response = await fetch(admitUrl, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: {"Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf},
      body: JSON.stringify(item),
    });
    if (response.status >= 500) throw new Error("the site did not answer");
    const json = (response.headers.get("Content-Type") || "").includes("application/json");
    if (json) return response.json();
    return {outcome: "signed_out", reference: item.code,
            message: "SIGNED OUT. Reload this page and sign in again."};
  }

  async function check(code, typed) {
    const item = {code: code, door: doorName.value, typed: Boolean(typed),
                  scanned_at: new Date().toISOString()};
    if (!navigator.onLine) return keep(item);
    try {
      show(await send(item));
    } catch (error) {
      keep(item);
    }
  }

  function keep(item) {
    queue.push(item);
    saveQueue();
    show({outcome: "queued", message: "SAVED: no connection. It is checked when the connection is back."});
  }

  let flushing = false;
  async function flush() {
    if (flushing || !queue.length || !navigator.onLine) return;
    flushing = true;
    try {
      while (queue.length) {
        show(await send(queue[0]));
        queue.shift();
        saveQueue();
      }
    } catch (error) {
      // still offline, or the site is away: the rest waits for the next try
    } finally {
      flushing = false;
    }
  }
  window.addEventListener("online", flush);
  setInterval(flush, 5000);
  saveQueue();
  flush();

  document.getElementById("door-typed").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("door-code");
    if (input.value.trim()) check(input.value.trim(), true);
    input.value = "";
  });

  // The camera. The same code seen again within a few seconds is the same scan.
  const video = document.getElementById("door-video");
  const cameraState = document.getElementById("door-camera-state");
  let last = {code: "", at: 0};
  function seen(code) {
    const now = Date.now();
    if (code === last.code && now - last.at < 4000) return;
    last = {code: code, at: now};
    check(code);
  }
  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraState.textContent = "No camera here: type the reference below.";
      return;
    }
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia(
        {video: {facingMode: "environment"}, audio: false});
      await video.play();
    } catch (error) {
      cameraState.textContent = "The camera is not available: type the reference below.";
      return;
    }
    cameraState.textContent = "Hold the ticket's code in front of the camera.";
    const detector = "BarcodeDetector" in window
      ? new window.BarcodeDetector({formats: ["qr_code"]}) : null;
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", {willReadFrequently: true});
    async function look() {
      if (video.readyState >= 2 && video.videoWidth) {
        try {
          if (detector) {
            const codes = await detector.detect(video);
            if (codes.length) seen(codes[0].rawValue);
          } else if (window.jsQR) {
            canvas.width = video.videoWidth;
            canvas.height = video.videoHeight;
            context.drawImage(video, 0, 0);
            const image = context.getImageData(0, 0, canvas.width, canvas.height);
            const code = window.jsQR(image.data, image.width, image.height,
                                     {inversionAttempts: "dontInvert"});
            if (code && code.data) seen(code.data);
          }
        } catch (error) {
          // a frame that could not be read: try the next one
        }
      }
      setTimeout(look, 250);
    }
    look();
  }
  startCamera();
})();
