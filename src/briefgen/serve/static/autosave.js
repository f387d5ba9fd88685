// Optional: save a part of the form as soon as an answer changes. The form works without it.
// The form's "loaded" field says what each question showed when the page was loaded; the
// server saves only what differs from it, and keeps (and reports) an answer that was saved
// elsewhere since. After each save the field is brought up to what this tab has saved.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  var status = document.getElementById("save-status");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) { return; }
  var loaded = form.querySelector("input[name=loaded]");
  var pending = null;

  function parse(text) {
    var map = {};
    text.split(";").forEach(function (item) {
      var i = item.indexOf("=");
      if (i > 0) { map[item.slice(0, i)] = item.slice(i + 1); }
    });
    return map;
  }
  function join(map) {
    return Object.keys(map).map(function (k) { return k + "=" + map[k]; }).join(";");
  }
  function radios(name) { return form.querySelectorAll('input[name="' + name + '"]'); }
  function checked(name) {
    var found = "";
    radios(name).forEach(function (r) { if (r.checked) { found = r.value; } });
    return found;
  }
  function legend(name) {
    var box = radios(name)[0];
    var set = box && box.closest("fieldset");
    var text = set && set.querySelector("legend");
    return text ? text.textContent.trim() : name;
  }

  function save() {
    var body = new URLSearchParams(new FormData(form));
    var sent = parse(loaded ? loaded.value : "");
    Object.keys(sent).forEach(function (k) { sent[k] = checked(k); });
    fetch(form.getAttribute("action"), {   // form.action would be the buttons named "action"
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Briefgen-Autosave": "1" }
    }).then(function (response) {
      return response.json().then(function (reply) {
        if (!loaded || reply.error) { return; }
        var now = parse(loaded.value);
        var errors = reply.errors || [];
        Object.keys(sent).forEach(function (k) {
          if (errors.indexOf(k) < 0) { now[k] = sent[k]; }
        });
        var changed = [];
        var conflicts = reply.conflicts || {};
        Object.keys(conflicts).forEach(function (k) {
          now[k] = conflicts[k] === null ? "" : String(conflicts[k]);
          radios(k).forEach(function (r) { r.checked = r.value === now[k]; });
          changed.push(legend(k));
        });
        loaded.value = join(now);
        if (!status) { return; }
        if (changed.length) {
          status.textContent = status.dataset.conflict + " " + changed.join("; ");
        } else if (response.ok) {
          status.textContent = status.dataset.autosaved;
        }
      });
    }).catch(function () { /* the Save button still works */ });
  }

  form.addEventListener("change", function () {
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(function () { pending = null; save(); }, 300);
  });
}());
