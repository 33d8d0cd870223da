// The award form's live check: the shares typed so far, against the 100% the award may
// not exceed and the job's maximum share per vendor. A hint only: the server decides.
(function () {
  "use strict";
  function check(form) {
    var inputs = form.querySelectorAll("input[data-share-input]");
    var output = form.querySelector("#award-total");
    var maxShare = parseFloat(form.dataset.maxShare || "100");
    var total = 0;
    var problems = [];
    inputs.forEach(function (input) {
      var value = parseFloat((input.value || "").replace(",", "."));
      var bad = false;
      if (!isNaN(value)) {
        total += value;
        if (value < 0 || value > maxShare) {
          bad = true;
          problems.push(input.dataset.vendor + ": at most " + maxShare + "% per vendor.");
        }
      }
      if (bad) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    });
    total = Math.round(total * 100) / 100;
    var text = "Total: " + total + "% of the volume.";
    if (total > 100) {
      problems.unshift("The shares add up to more than 100%.");
    }
    output.textContent = problems.length ? text + " " + problems.join(" ") : text + " Within 100%.";
    output.classList.toggle("errorlist", problems.length > 0);
  }
  document.querySelectorAll("form[data-award-shares]").forEach(function (form) {
    form.addEventListener("input", function () { check(form); });
    check(form);
  });
})();
