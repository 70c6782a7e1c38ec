// The language switcher changes the page's language as soon as one is chosen; its button is
// for pages without JavaScript.
(function () {
  "use strict";
  const form = document.querySelector("form.language");
  if (!form) return;
  form.querySelector("button").hidden = true;
  form.querySelector("select").addEventListener("change", () => form.submit());
})();
