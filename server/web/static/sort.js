// Sort a table.sortable in the page, without a round trip: the header links sort on the server
// too (?sort=…&order=…), so the page works the same without this script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table.sortable")) {
    const heads = Array.from(table.tHead.rows[0].cells);
    for (const th of heads) {
      const link = th.dataset.sort && th.querySelector("a");
      if (!link) continue;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        const current = th.getAttribute("aria-sort");
        const order = current ? (current === "ascending" ? "desc" : "asc") : th.dataset.order;
        sortBy(table, heads.indexOf(th), order, th.classList.contains("num"));
        for (const other of heads) {
          other.removeAttribute("aria-sort");
          const mark = other.querySelector("span[aria-hidden]");
          if (mark) mark.remove();
        }
        th.setAttribute("aria-sort", order === "asc" ? "ascending" : "descending");
        const mark = document.createElement("span");
        mark.setAttribute("aria-hidden", "true");
        mark.textContent = order === "asc" ? " ▲" : " ▼";
        link.append(mark);
        const url = new URL(link.href);  // what the server would have answered: a reload keeps it
        url.searchParams.set("order", order);
        history.replaceState(null, "", url.pathname + url.search);
      });
    }
  }
});

function sortBy(table, column, order, numeric) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const value = (row) => row.cells[column].dataset.value ?? row.cells[column].textContent.trim();
  const names = (a, b) => value2(a).localeCompare(value2(b), "vi");
  const value2 = (row) => row.cells[1].dataset.value || "";
  rows.sort((a, b) => {
    const x = value(a), y = value(b);
    if (x === "" || y === "") return (x === "") - (y === "") || names(a, b);  // none: last
    const found = numeric ? Number(x) - Number(y) : x.localeCompare(y, "vi");
    return (order === "asc" ? found : -found) || names(a, b);
  });
  for (const row of rows) body.append(row);
}
