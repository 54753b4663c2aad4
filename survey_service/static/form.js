/* PAR Survey form helper (optional: every form works without it).
   1. Skip logic live: shows or hides questions whose `relevant` rule depends on this page.
      Rules come from the server as parsed expressions (see questionnaires/expressions.py).
   2. Autosave: keeps a draft on the server as people answer, so a closed tab can resume. */
(function () {
  "use strict";
  var form = document.querySelector("form.survey-form");
  if (!form) return;
  var rules = JSON.parse(form.getAttribute("data-rules") || "{}");
  var known = JSON.parse(form.getAttribute("data-known") || "{}");
  var hidden = {};

  function raw(id) {
    if (hidden[id]) return "";
    var inputs = form.querySelectorAll('[name="q_' + id + '"]');
    if (!inputs.length) {
      var v = known[id];
      return v === undefined || v === null ? "" : v;
    }
    var out = [];
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) out.push(el.value);
      } else if (el.value.trim() !== "") {
        out.push(el.value.trim());
      }
    }
    if (inputs[0].type === "checkbox") return out;
    return out.length ? out[0] : "";
  }

  function text(v) {
    if (Array.isArray(v)) return v.join(" ");
    if (typeof v === "boolean") return v ? "true" : "false";
    return String(v);
  }

  function num(s) {
    if (typeof s !== "string" || s.trim() === "") return null;
    var n = Number(s);
    return isFinite(n) ? n : null;
  }

  function truthy(v) {
    if (typeof v === "boolean") return v;
    if (typeof v === "number") return v !== 0;
    return text(v) !== "";
  }

  function compare(op, a, b) {
    var x = num(a), y = num(b);
    if (op === "=" || op === "!=") {
      var same = x !== null && y !== null ? x === y : a === b;
      return op === "=" ? same : !same;
    }
    if (x === null || y === null) return false;
    return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
  }

  function ev(node) {
    switch (node[0]) {
      case "lit": return node[1];
      case "ref": return raw(node[1]);
      case "cmp": return compare(node[1], text(ev(node[2])), text(ev(node[3])));
      case "and": for (var i = 1; i < node.length; i++) if (!truthy(ev(node[i]))) return false; return true;
      case "or": for (var j = 1; j < node.length; j++) if (truthy(ev(node[j]))) return true; return false;
      case "not": return !truthy(ev(node[1]));
      case "sel": var v = raw(node[1]); return (Array.isArray(v) ? v : [v]).indexOf(node[2]) >= 0;
      case "cnt": var w = raw(node[1]); return Array.isArray(w) ? w.length : 0;
    }
    return false;
  }

  function apply() {
    hidden = {};
    var blocks = form.querySelectorAll("[data-rule], fieldset.q");
    for (var i = 0; i < blocks.length; i++) {
      var el = blocks[i];
      var rule = rules[el.getAttribute("data-rule")];
      var insideHidden = el.parentElement && el.parentElement.closest("[hidden]");
      var show = !insideHidden && (!rule || truthy(ev(rule)));
      if (el.hasAttribute("data-rule")) el.hidden = !show;
      if (el.id.indexOf("q-") === 0 && !show) hidden[el.id.slice(2)] = true;
      var inputs = el.querySelectorAll("input, textarea, select");
      for (var k = 0; k < inputs.length; k++) inputs[k].disabled = !show;
    }
  }

  var timer = null;
  function save() {
    var data = new FormData(form);
    data.set("action", "save");
    // getAttribute: form.action would be the <button name="action">, not the URL
    fetch(form.getAttribute("action"), {
      method: "POST", body: new URLSearchParams(data), credentials: "same-origin"
    })
      .catch(function () { /* offline: the answers stay on the page */ });
  }
  function changed() {
    apply();
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  }

  form.addEventListener("change", changed);
  form.addEventListener("submit", function () { clearTimeout(timer); });
  form.addEventListener("input", function (e) {
    if (e.target.tagName === "TEXTAREA" || e.target.type === "number") changed();
  });
  apply();
})();
