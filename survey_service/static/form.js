/* PAR Survey form helper (optional: every form works without it).
   1. Skip logic live: shows or hides questions whose `relevant` rule depends on this page.
      Rules come from the server as parsed expressions (see questionnaires/expressions.py).
   2. Autosave: keeps a draft on the server as people answer, so a closed tab can resume.
   3. Answers kept in this tab (sessionStorage, per form path and page) so that a send the
      service refused as overloaded (503, templates/public/busy.html) can be retried: they come
      back into empty fields when the form is opened again, and are dropped once sent. */
(function () {
  "use strict";
  var PREFIX = "par-survey:answers:";
  var store = null;
  try { store = window.sessionStorage; store.getItem(PREFIX); } catch (e) { store = null; }

  function read(key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }
  function write(key, entry) {
    try { store.setItem(key, JSON.stringify(entry)); } catch (e) { /* full or blocked */ }
  }
  function keysOf(path) {
    var out = [];
    for (var i = 0; store && i < store.length; i++) {
      var k = store.key(i);
      if (k && k.indexOf(PREFIX + path + "#") === 0) out.push(k);
    }
    return out;
  }
  function forget(path) {
    var keys = keysOf(path);
    for (var i = 0; i < keys.length; i++) store.removeItem(keys[i]);
  }

  // The busy page: the send was refused before the service read it, so the answers it carried
  // are still to be sent. "Back" returns to the filled-in form where history allows.
  var busy = document.querySelector("[data-busy-form]");
  if (busy && store) {
    var refused = keysOf(busy.getAttribute("data-busy-form"));
    for (var r = 0; r < refused.length; r++) {
      var entry = read(refused[r]);
      if (entry && entry.sent) { entry.sent = false; write(refused[r], entry); }
    }
  }
  var back = document.querySelector("form[data-history-back]");
  if (back) {
    back.addEventListener("submit", function (e) {
      if (history.length > 1) { e.preventDefault(); history.back(); }
    });
  }
  // A thanks page (/s/CODE/thanks): the answers of that form were stored.
  if (store && /\/thanks$/.test(location.pathname)) forget(location.pathname.slice(0, -7));

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

  var pageField = form.querySelector('input[name="page"]');
  var key = PREFIX + location.pathname + "#" + (pageField ? pageField.value : "");

  function answerFields() {
    var out = [];
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
      if (el.name && el.name.indexOf("q_") === 0) out.push(el);
    }
    return out;
  }
  function collect() {
    var answers = {}, fields = answerFields();
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i], list = answers[el.name] || (answers[el.name] = []);
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) list.push(el.value); }
      else if (el.value !== "") list.push(el.value);
    }
    return answers;
  }
  function remember(sent) {
    if (store) write(key, { answers: collect(), sent: sent });
  }
  function restore() {
    var entry = read(key);
    if (!entry) return false;
    var now = collect(), name, answered = false;
    for (name in now) if (now[name].length) answered = true;
    if (entry.sent) {
      // The last send from this page reached the service (a refusal marks it on the busy page):
      // shown again with its answers (errors, "back"), or a new empty form once it was stored.
      if (answered) { entry.sent = false; write(key, entry); } else forget(location.pathname);
      return false;
    }
    var restored = false, fields = answerFields();
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i], values = entry.answers[el.name];
      if (!values || !values.length || now[el.name].length) continue;  // fill empty fields only
      if (el.type === "radio" || el.type === "checkbox") el.checked = values.indexOf(el.value) >= 0;
      else el.value = values[0];
      restored = true;
    }
    return restored;
  }

  form.addEventListener("change", function () { remember(false); changed(); });
  form.addEventListener("submit", function () { clearTimeout(timer); remember(true); });
  form.addEventListener("input", function (e) {
    remember(false);
    if (e.target.tagName === "TEXTAREA" || e.target.type === "number") changed();
  });
  var restored = store ? restore() : false;
  apply();
  if (restored) { remember(false); timer = setTimeout(save, 800); }  // the server draft catches up
})();
