/* The language switch returns to the page as it is now. Its `next` field holds the address the
   page was rendered at, but htmx pushes later addresses into the history (the customer list puts
   its filters in the URL), so the address is read when the form is sent. A separate file because
   the Content Security Policy allows no inline script; without JavaScript `next` stays the
   rendered address. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("ph-language")) {
      return;
    }
    form.elements.namedItem("next").value = window.location.pathname + window.location.search;
  });
})();
