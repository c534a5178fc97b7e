// The price-tier editor: "Add a tier" appends an empty row (the form works without it: the
// page always offers a few empty rows).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".tier-editor").forEach((editor) => {
    const button = editor.querySelector("[data-add-tier]");
    const template = editor.querySelector("template[data-tier-template]");
    const rows = editor.querySelector("[data-tier-rows]");
    const total = editor.querySelector("input[name$='TOTAL_FORMS']");
    const max = editor.querySelector("input[name$='MAX_NUM_FORMS']");
    if (!button || !template || !rows || !total) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) return;
      const html = template.innerHTML.replaceAll("__prefix__", String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      rows.lastElementChild.querySelector("input").focus();
    });
  });
});
