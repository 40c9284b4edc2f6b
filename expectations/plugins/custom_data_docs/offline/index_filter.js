// The index's filter (swdw Data Docs): every entry from the entries-*.js scripts, filtered in the
// browser, offline. Inlined into index.html by ingest.quality.docs_index; each entry's verdict_label
// comes from ingest.quality.verdict, the one definition of the labels.
(function () {
  var entries = window.swdwEntries || [];
  if (!entries.length) { return; }
  var body = document.querySelector("#swdw-index tbody");
  var pickers = {department_code: "f-department", month: "f-month", status: "f-status"};
  function text(value) { return value === null || value === undefined || value === "" ? "—" : String(value); }
  function cell(row, content) { var td = document.createElement("td"); td.appendChild(content); row.appendChild(td); }
  function plain(value) { return document.createTextNode(text(value)); }
  function link(href, label) {
    if (!href) { return plain(null); }
    var a = document.createElement("a"); a.href = href; a.textContent = label; return a;
  }
  function options(key, label) {
    var select = document.getElementById(pickers[key]), seen = {};
    entries.forEach(function (e) { if (e[key]) { seen[e[key]] = label(e); } });
    Object.keys(seen).sort().forEach(function (value) {
      var option = document.createElement("option"); option.value = value; option.textContent = seen[value];
      select.appendChild(option);
    });
    select.addEventListener("change", render);
  }
  function render() {
    var wanted = {};
    Object.keys(pickers).forEach(function (key) { wanted[key] = document.getElementById(pickers[key]).value; });
    while (body.firstChild) { body.removeChild(body.firstChild); }
    var shown = 0;
    entries.slice().reverse().forEach(function (e) {
      for (var key in wanted) { if (wanted[key] && e[key] !== wanted[key]) { return; } }
      var row = document.createElement("tr"), sha = e.sha256 || "";
      cell(row, plain("#" + e.submission_id));
      cell(row, link(e.page, text(e.run_name)));
      cell(row, plain((e.department_name || "未知部门") + " (" + e.department_code + ")"));
      cell(row, plain(e.submission_type_label || e.submission_type));
      cell(row, plain(e.report_period));
      cell(row, plain(e.received_at));
      var code = document.createElement("code"); code.title = sha; code.textContent = sha.slice(0, 12) || "—";
      cell(row, code);
      cell(row, plain(text(e.status_label) + " " + text(e.status)));
      cell(row, plain(e.verdict_label));
      cell(row, link(e.feedback_url, "feedback"));
      cell(row, link(e.original_url, "original"));
      body.appendChild(row); shown += 1;
    });
    document.getElementById("f-count").textContent = shown + " / " + entries.length;
  }
  options("department_code", function (e) { return (e.department_name || "未知部门") + " " + e.department_code; });
  options("month", function (e) { return e.month; });
  options("status", function (e) { return (e.status_label || "") + " " + e.status; });
  render();
})();
