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

// On a narrow screen a table row is shown as a card (app.css); each cell is labelled with its
// column's heading, copied here into data-label. Rows swapped in by htmx are labelled too.
function labelTableCells(root) {
  const tables = [...root.querySelectorAll("table")];
  const own = root.closest && root.closest("table");
  if (own) tables.push(own);
  for (const table of tables) {
    const head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!head) continue;
    const labels = [];
    for (const heading of head.cells) {
      const visible = [...heading.childNodes]
        .filter((node) => !(node.nodeType === 1 && node.classList.contains("sr-only")))
        .map((node) => node.textContent)
        .join("")
        .replace(/\s+/g, " ")
        .trim();
      for (let span = 0; span < heading.colSpan; span += 1) labels.push(visible);
    }
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        let column = 0;
        for (const cell of row.cells) {
          if (cell.colSpan === 1 && labels[column] && !cell.hasAttribute("data-label")) {
            cell.dataset.label = labels[column];
          }
          column += cell.colSpan;
        }
      }
    }
  }
}
document.addEventListener("DOMContentLoaded", () => labelTableCells(document));
document.addEventListener("htmx:load", (event) => labelTableCells(event.target));
