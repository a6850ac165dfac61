/*
 * Bulk edit (chainboard/views/bulk.py). Plain JS, no build step; listeners sit on the document, so rows
 * that htmx swaps in (filtering, sorting, paging) need nothing, and loading the file twice is harmless.
 *
 * On a list:
 * - [data-bulk-all] (the header checkbox) ticks or clears every [data-bulk-row] on the page;
 * - [data-bulk-submit] (the "Bulk edit" button of #cb-bulk-form) is enabled once a row is ticked and
 *   shows how many are, in [data-bulk-count];
 * - on submit, [data-bulk-query] takes the list's query string as shown now (htmx may have pushed a new
 *   one since the page was loaded), so the bulk-edit page returns to the same filtered list.
 * On the bulk-edit page:
 * - giving a field a value ticks its "change" box ([data-bulk-tick] in the same [data-bulk-field]).
 */
(function () {
  "use strict";
  if (window.chainboardBulk) return;
  window.chainboardBulk = true;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-bulk-row]"));
  }

  function refresh() {
    var all = rows();
    var ticked = all.filter(function (box) {
      return box.checked;
    }).length;
    document.querySelectorAll("[data-bulk-all]").forEach(function (box) {
      box.checked = all.length > 0 && ticked === all.length;
      box.indeterminate = ticked > 0 && ticked < all.length;
    });
    document.querySelectorAll("[data-bulk-submit]").forEach(function (button) {
      button.disabled = ticked === 0;
    });
    document.querySelectorAll("[data-bulk-count]").forEach(function (badge) {
      badge.textContent = String(ticked);
      badge.hidden = ticked === 0;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.matches("[data-bulk-all]")) {
      rows().forEach(function (box) {
        box.checked = target.checked;
      });
      refresh();
    } else if (target.matches("[data-bulk-row]")) {
      refresh();
    } else if (!target.matches("[data-bulk-tick]")) {
      var field = target.closest("[data-bulk-field]");
      var tick = field && field.querySelector("[data-bulk-tick]");
      if (tick) tick.checked = true;
    }
  });

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!(target instanceof Element) || target.matches("[data-bulk-tick]")) return;
    var field = target.closest("[data-bulk-field]");
    var tick = field && field.querySelector("[data-bulk-tick]");
    if (tick) tick.checked = true;
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof Element) || form.id !== "cb-bulk-form") return;
    var query = form.querySelector("[data-bulk-query]");
    if (query) query.value = window.location.search.replace(/^\?/, "");
  });

  // The table is replaced by htmx (a new page of rows, none ticked) and restored by the back button.
  document.addEventListener("htmx:afterSettle", refresh);
  window.addEventListener("pageshow", refresh);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
})();
