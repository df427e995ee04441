// Haven's own progressive enhancement; every page works without it.
// When a form comes back with errors, move focus to the summary at the top so keyboard and
// screen reader users land on the list of what to fix (the GOV.UK error summary pattern).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
