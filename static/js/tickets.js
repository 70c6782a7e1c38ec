// Ticket types on the hold page: a change is sent at once (htmx) and the table and total come
// back; a refusal (400, 409) comes back as the table with its reason, so it is shown too.
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    if (event.detail.target.id === "tickets" && (status === 400 || status === 409)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // With prices updating by themselves, the button is only for pages without JavaScript.
  const hide = () => document.querySelectorAll("#tickets button[type=submit]")
    .forEach((button) => { button.hidden = true; });
  hide();
  document.body.addEventListener("htmx:afterSwap", hide);
})();
