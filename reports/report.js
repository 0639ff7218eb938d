// Enhancements only: the report is complete without this script.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var search = document.getElementById("search");
  if (search) {
    search.parentElement.hidden = false;
    var rows = Array.prototype.slice.call(document.querySelectorAll(".finding-row"));
    var count = document.getElementById("search-count");
    search.addEventListener("input", function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      count.textContent = words.length ? shown + " of " + rows.length + " findings match" : "";
    });
  }
  // Sortable columns: the header becomes a button; aria-sort says the order.
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var headers = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(headers, function (header, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = header.textContent;
      header.textContent = "";
      header.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = header.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var items = Array.prototype.slice.call(body.rows);
        items.sort(function (a, b) {
          var x = sortKey(a, index), y = sortKey(b, index);
          var order = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
          return ascending ? order : -order;
        });
        items.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  function sortKey(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    if (cell.querySelector(".sev") && row.dataset.rank) { return Number(row.dataset.rank); }
    var text = cell.textContent.trim();
    var number = parseFloat(text);
    return isNaN(number) || !/^[\d.]/.test(text) ? text.toLowerCase() : number;
  }
}());
