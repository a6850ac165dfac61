/*
 * chainboard front-end glue. Plain JS, no build step.
 *
 * - select.lookup-select: tom-select searching the server (data-lookup URL, GET ?q=, JSON {results: [{id, text}]}).
 * - select[multiple] (other than lookups): tom-select with remove buttons.
 * - form[data-confirm]: ask before submitting.
 * - form[data-next-current]: the language switch returns to the URL shown now (htmx may have pushed a new one).
 * - every tom-select gets a name: Tom Select moves the <label for> to its own input, leaving the hidden
 *   original select unnamed (axe-core's select-name); both are named after the field's label.
 * - [data-progress]: a progress bar's width, in percent. Set here because the Content-Security-Policy
 *   refuses style attributes in the markup (a style set from script is allowed).
 * - #cb-search-box-results: the header box's matches, which htmx fills as the user types; shown while it
 *   holds any, hidden by Escape, by a click elsewhere, or when the box is emptied.
 * Everything runs on page load and on content htmx swaps in, and is safe to run twice.
 */
(function () {
  "use strict";

  function text(key, fallback) {
    var value = document.body && document.body.dataset[key];
    return value || fallback;
  }

  function escapeHtml(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function messages() {
    return {
      no_results: function () {
        return '<div class="no-results">' + escapeHtml(text("i18nNoResults", "No matches")) + "</div>";
      },
      loading: function () {
        return '<div class="spinner-border spinner-border-sm text-secondary m-2" role="status"></div>';
      },
      not_loading: function () {
        return '<div class="no-results text-secondary">' + escapeHtml(text("i18nTypeToSearch", "Type to search")) + "</div>";
      },
    };
  }

  // htmx keeps a copy of the page for the back button. A restored copy holds tom-select's markup
  // but not its JavaScript: drop the dead wrapper so the select can be set up again.
  function revive(select) {
    if (select.tomselect || !select.classList.contains("tomselected")) return;
    var next = select.nextElementSibling;
    if (next && next.classList.contains("ts-wrapper")) next.remove();
    select.classList.remove("tomselected", "ts-hidden-accessible");
    select.removeAttribute("tabindex");
  }

  function lookupUrl(base, query) {
    var url = new URL(base, window.location.href);
    url.searchParams.set("q", query);
    return url.toString();
  }

  function initLookup(select) {
    var base = select.dataset.lookup;
    if (!base) return;
    var latest = 0;
    var plugins = {};
    if (!select.required && !select.multiple) plugins.clear_button = { title: text("i18nRemove", "Remove") };
    if (select.multiple) plugins.remove_button = { title: text("i18nRemove", "Remove") };
    new TomSelect(select, {
      valueField: "id",
      labelField: "text",
      searchField: ["text"],
      plugins: plugins,
      preload: "focus",
      loadThrottle: 250,
      maxOptions: null,
      // One character is a useful query in Chinese (and for pinyin initials).
      shouldLoad: function (query) {
        return query.length >= 1;
      },
      // The server decides what matches (substring, pinyin initials): show what it sent, in its order.
      score: function () {
        return function () {
          return 1;
        };
      },
      load: function (query, callback) {
        var self = this;
        var ticket = ++latest;
        // An answer fills the list the user is looking at and never reopens one that was closed (by a
        // choice, Escape or leaving the field) while it was on its way: on a slow connection a late
        // answer would otherwise cover the form's button just after the user chose.
        // (Closing it again afterwards is not enough: opening moves the focus, and Tom Select reopens
        // the list on the focus event it defers. A locked control does not open.)
        function answer(results) {
          var guard = !self.isOpen && !self.isLocked;
          if (guard) self.lock();
          try {
            callback(results);
          } finally {
            if (guard) self.unlock();
          }
        }
        fetch(lookupUrl(base, query), {
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
        })
          .then(function (response) {
            if (!response.ok) throw new Error(response.status);
            return response.json();
          })
          .then(function (data) {
            if (ticket !== latest) return answer(); // a newer query is on its way
            self.clearOptions(); // keeps the selected option(s)
            answer((data && data.results) || []);
          })
          .catch(function () {
            answer();
          });
      },
      render: messages(),
    });
  }

  function initMultiple(select) {
    new TomSelect(select, {
      plugins: { remove_button: { title: text("i18nRemove", "Remove") } },
      maxOptions: null,
      hidePlaceholder: true,
      render: { no_results: messages().no_results },
    });
  }

  // The field's name as a person reads it: its <label> (Tom Select points it at its own input), else the
  // select's title or placeholder.
  function fieldName(select) {
    var ts = select.tomselect;
    var label = document.querySelector('label[for="' + CSS.escape(select.id) + '"]');
    if (!label && ts && ts.control_input && ts.control_input.id) {
      label = document.querySelector('label[for="' + CSS.escape(ts.control_input.id) + '"]');
    }
    if (!label && ts && ts.focus_node && ts.focus_node.id) {
      label = document.querySelector('label[for="' + CSS.escape(ts.focus_node.id) + '"]');
    }
    var name = label ? label.textContent : select.getAttribute("title") || select.getAttribute("placeholder") || "";
    return name.replace(/\s+/g, " ").replace(/[\s*:：]+$/, "").trim();
  }

  function nameTomSelect(select) {
    var ts = select.tomselect;
    if (!ts) return;
    var name = fieldName(select);
    if (!name) return;
    select.setAttribute("aria-label", name);
    [ts.control_input, ts.focus_node].forEach(function (el) {
      if (el && !el.getAttribute("aria-label")) el.setAttribute("aria-label", name);
    });
  }

  // Django (5.0+) marks fields with errors aria-invalid="true"; give them Bootstrap's class as well.
  function markInvalid(root) {
    root.querySelectorAll('[aria-invalid="true"]').forEach(function (el) {
      el.classList.add("is-invalid");
    });
  }

  // Filter forms come from django-filter and may carry bare widgets: give them the UI kit's classes.
  function styleFilterWidgets(root) {
    root.querySelectorAll(".filter-form").forEach(function (form) {
      form.querySelectorAll("input, select, textarea").forEach(function (el) {
        if (el.type === "hidden" || el.type === "submit" || el.type === "button") return;
        if (el.type === "checkbox" || el.type === "radio") {
          el.classList.add("form-check-input");
        } else if (el.tagName === "SELECT") {
          if (!el.classList.contains("lookup-select")) el.classList.add("form-select");
        } else if (!el.classList.contains("form-control")) {
          el.classList.add("form-control");
        }
      });
    });
  }

  function showProgress(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      var percent = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-progress")) || 0));
      bar.style.width = percent + "%";
    });
  }

  function init(root) {
    if (!root || !root.querySelectorAll) return;
    markInvalid(root);
    showProgress(root);
    styleFilterWidgets(root);
    if (typeof TomSelect === "undefined") return;
    var selects = root.matches && root.matches("select") ? [root] : root.querySelectorAll("select");
    Array.prototype.forEach.call(selects, function (select) {
      revive(select);
      if (select.tomselect || select.classList.contains("no-tom-select")) return;
      try {
        if (select.classList.contains("lookup-select")) {
          initLookup(select);
        } else if (select.multiple) {
          initMultiple(select);
        }
        nameTomSelect(select);
      } catch (err) {
        // A broken widget must not take the rest of the page down; the plain select still works.
        if (window.console) console.error(err);
      }
    });
  }

  // Capture phase: runs before htmx's own submit handler, so a cancelled confirm stops both.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      if (form.hasAttribute("data-next-current") && form.elements.next) {
        form.elements.next.value = window.location.pathname + window.location.search;
      }
    },
    true
  );

  // The header search box's drop-down.
  function searchBox() {
    var results = document.getElementById("cb-search-box-results");
    if (!results) return;
    var form = results.parentNode;
    var input = form.querySelector('[aria-controls="cb-search-box-results"]');
    var dismissed = false; // Escape closed it: focusing the box again does not reopen it until new results
    function show(open) {
      results.classList.toggle("show", open && !dismissed && results.children.length > 0);
    }
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== results) return;
      dismissed = false;
      show(form.contains(document.activeElement));
    });
    if (input) {
      input.addEventListener("focus", function () { show(true); });
      input.addEventListener("input", function () { dismissed = false; });
    }
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && results.classList.contains("show")) {
        dismissed = true;
        show(false);
        if (input) input.focus();
        event.preventDefault();
      }
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) show(false);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", searchBox);
  } else {
    searchBox();
  }

  if (window.htmx) {
    // htmx.onLoad runs for the initial page and for every piece of content swapped in.
    window.htmx.onLoad(init);
    document.body.addEventListener("htmx:historyRestore", function () {
      init(document.body);
    });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      init(document.body);
    });
  } else {
    init(document.body);
  }
})();
