// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A second click on a submit button while the first post is under way does nothing.
  // The server acts once per form token anyway; this spares the second round trip.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitting === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    form.setAttribute("aria-busy", "true");
  });
  // Coming back with the browser's Back button shows a form that can be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.removeAttribute("aria-busy");
    });
  });

  // Selects marked data-autosubmit send their form on change (with a button for no-JS).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.requestSubmit();
    }
  });
})();

// htmx forms stay on the page: let them be sent again once their request ends.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target.closest && event.target.closest("form");
  if (form) {
    delete form.dataset.submitting;
    form.removeAttribute("aria-busy");
  }
});
