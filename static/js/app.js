// Small progressive enhancements; every page works without them.
document.addEventListener("click", (event) => {
  // Close an open header menu when clicking elsewhere.
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
document.addEventListener("change", (event) => {
  // A select marked data-autosubmit submits its form on change.
  if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
});
