// Optional: save a part of the form as soon as an answer changes. The form works without it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  var status = document.getElementById("save-status");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) { return; }
  var pending = null;
  form.addEventListener("change", function () {
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(function () {
      pending = null;
      // form.action would be the buttons named "action": read the attribute.
      fetch(form.getAttribute("action"), {
        method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
        headers: { "X-Briefgen-Autosave": "1" }
      }).then(function (response) {
        if (response.ok && status) { status.textContent = status.dataset.autosaved; }
      }).catch(function () { /* the Save button still works */ });
    }, 300);
  });
}());
