/* swdw: a minimal, dependency-free stand-in for the jQuery / Bootstrap / bootstrap-table calls
   that GX Data Docs pages make, so the site works with no network. It supports what GX
   pages use: $(...) selection with parent/each/fadeIn/fadeOut/on/data, $(document).ready,
   collapsible sections, tabs, and .bootstrapTable({columns, data}) rendering a plain,
   searchable, sortable table whose rows link to their pages. */
(function () {
  "use strict";

  function Wrapped(elements) { this.elements = elements.filter(Boolean); this.length = this.elements.length; }
  Wrapped.prototype.each = function (fn) { this.elements.forEach(function (el, i) { fn.call(el, i, el); }); return this; };
  Wrapped.prototype.parent = function () {
    return new Wrapped(this.elements.map(function (el) { return el.parentElement; }));
  };
  Wrapped.prototype.fadeIn = function () { return this.each(function (i, el) { el.style.display = ""; }); };
  Wrapped.prototype.fadeOut = function () { return this.each(function (i, el) { el.style.display = "none"; }); };
  Wrapped.prototype.data = function (key) {
    var el = this.elements[0]; return el ? el.getAttribute("data-" + key) : undefined;
  };
  Wrapped.prototype.on = function (event, handler) {
    return this.each(function (i, el) { (el._swdwHandlers = el._swdwHandlers || {})[event] = handler; });
  };
  Wrapped.prototype.ready = function (fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
    return this;
  };
  ["modal", "tooltip", "popover", "collapse", "tab"].forEach(function (name) {
    Wrapped.prototype[name] = function () { return this; };
  });

  function $(target) {
    if (typeof target === "function") { return new Wrapped([document]).ready(target); }
    if (typeof target === "string") {
      try { return new Wrapped(Array.prototype.slice.call(document.querySelectorAll(target))); }
      catch (e) { return new Wrapped([]); }
    }
    if (target instanceof Wrapped) { return target; }
    return new Wrapped([target]);
  }
  window.$ = window.jQuery = $;

  function globalFn(name) { return typeof name === "function" ? name : window[name]; }

  Wrapped.prototype.bootstrapTable = function (options) {
    if (typeof options !== "object" || options === null) { return this; }
    return this.each(function (i, table) { renderTable(table, options); });
  };

  function renderTable(table, options) {
    var columns = options.columns || [], rows = (options.data || []).slice();
    var state = { sortKey: null, desc: options.sortOrder === "desc", filter: "" };
    var sortColumn = columns.filter(function (c) { return c.field === options.sortName; })[0];
    if (sortColumn) { state.sortKey = sortColumn.sortName || sortColumn.field; }

    var search = document.createElement("input");
    search.className = "swdw-table-search";
    search.placeholder = "Search / 搜索";
    search.addEventListener("input", function () { state.filter = search.value.toLowerCase(); draw(); });
    table.parentNode.insertBefore(search, table);
    table.classList.add("table");

    function text(html) { var d = document.createElement("div"); d.innerHTML = html == null ? "" : String(html); return d.textContent; }

    function draw() {
      var shown = rows.filter(function (row) {
        return !state.filter || columns.some(function (c) { return text(row[c.field]).toLowerCase().indexOf(state.filter) >= 0; });
      });
      if (state.sortKey) {
        shown.sort(function (a, b) {
          var x = a[state.sortKey], y = b[state.sortKey];
          x = typeof x === "number" ? x : text(x); y = typeof y === "number" ? y : text(y);
          return (x < y ? -1 : x > y ? 1 : 0) * (state.desc ? -1 : 1);
        });
      }
      var head = "<thead><tr>" + columns.map(function (c, n) {
        return '<th data-col="' + n + '" style="cursor:' + (c.sortable ? "pointer" : "default") + '">' + (c.title || c.field) + "</th>";
      }).join("") + "</tr></thead>";
      table.innerHTML = head + "<tbody></tbody>";
      var body = table.tBodies[0], attributes = globalFn(options.rowAttributes);
      shown.forEach(function (row, index) {
        var tr = document.createElement("tr");
        var attrs = attributes ? attributes(row, index) : {};
        Object.keys(attrs).forEach(function (name) { if (attrs[name] != null) { tr.setAttribute(name, attrs[name]); } });
        tr.innerHTML = columns.map(function (c) { return "<td>" + (row[c.field] == null ? "" : row[c.field]) + "</td>"; }).join("");
        body.appendChild(tr);
      });
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
        th.addEventListener("click", function () {
          var column = columns[+th.getAttribute("data-col")];
          if (!column.sortable) { return; }
          var key = column.sortName || column.field;
          state.desc = state.sortKey === key ? !state.desc : false;
          state.sortKey = key;
          draw();
        });
      });
    }
    table.addEventListener("click", function (event) {
      var tr = event.target.closest("tr.clickable-row");
      if (tr && !event.target.closest("a") && tr.getAttribute("data-href")) { window.location = tr.getAttribute("data-href"); }
    });
    draw();
  }

  window.clearTableFilters = function (id) {
    var table = document.getElementById(id), input = table && table.previousElementSibling;
    if (input && input.classList.contains("swdw-table-search")) { input.value = ""; input.dispatchEvent(new Event("input")); }
  };

  // collapsible sections and tabs (Bootstrap's data-toggle attributes)
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest('[data-toggle="collapse"], [data-toggle="tab"]');
    if (!toggle) { return; }
    var selector = toggle.getAttribute("data-target") || toggle.getAttribute("href");
    var target = selector && selector.charAt(0) === "#" ? document.getElementById(selector.slice(1)) : null;
    if (!target) { return; }
    event.preventDefault();
    if (toggle.getAttribute("data-toggle") === "collapse") {
      var open = target.classList.toggle("show");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var list = toggle.closest(".nav");
    if (list) { Array.prototype.forEach.call(list.querySelectorAll(".nav-link"), function (l) { l.classList.remove("active"); }); }
    toggle.classList.add("active");
    Array.prototype.forEach.call(target.parentElement.children, function (pane) { pane.classList.remove("active", "show"); });
    target.classList.add("active", "show");
  });
})();
