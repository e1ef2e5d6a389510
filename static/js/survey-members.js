// What the survey form (online, survey-form.js) and the offline survey form
// (offline/survey-offline.js) share: household members added and removed from the
// <template>, the form read as [name, value] pairs, and pairs put back into the form.
(function (root) {
  "use strict";

  // bind(form, {onChange, onTooFew}): the member list of form; returns its helpers.
  function bind(form, options) {
    options = options || {};
    var list = root.document.getElementById("members");
    var template = root.document.getElementById("member-template");
    var nextIndex = 0;

    function rows() { return list.querySelectorAll(".member"); }

    function renumber() {
      rows().forEach(function (row, i) {
        row.querySelector(".member-number").textContent = String(i + 1);
        nextIndex = Math.max(nextIndex, Number(row.dataset.index) + 1);
      });
    }

    function addMember(index) {
      list.insertAdjacentHTML("beforeend", template.innerHTML.split("__index__").join(String(index)));
      renumber();
      return list.lastElementChild;
    }

    // The form as [[name, value], ...]: text values only (files travel apart), no CSRF token.
    function fields() {
      var pairs = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrf_token" && typeof value === "string") { pairs.push([name, value]); }
      });
      return pairs;
    }

    // Put pairs back: one member card per index named in them (in index order), checkboxes
    // ticked only when named, the other fields set to their values.
    function restore(pairs) {
      var wanted = [];
      pairs.forEach(function (pair) {
        var match = /^members-(\d+)-/.exec(pair[0]);
        if (match && wanted.indexOf(match[1]) < 0) { wanted.push(match[1]); }
      });
      if (wanted.length) {
        rows().forEach(function (row) { if (wanted.indexOf(row.dataset.index) < 0) { row.remove(); } });
        wanted.sort(function (a, b) { return a - b; }).forEach(function (index) {
          var row = list.querySelector('.member[data-index="' + index + '"]');
          if (row) { list.appendChild(row); } else { addMember(index); }
        });
      }
      form.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = false; });
      pairs.forEach(function (pair) {
        var element = form.elements.namedItem(pair[0]);
        if (!element || element.type === "file") { return; }
        if (element.type === "checkbox") { element.checked = true; } else { element.value = pair[1]; }
      });
      renumber();
    }

    // An empty form with one member card.
    function clear() {
      form.reset();
      rows().forEach(function (row, i) { if (i > 0) { row.remove(); } });
      nextIndex = 0;
      renumber();
    }

    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-member]");
      if (!button) { return; }
      if (rows().length <= 1) { if (options.onTooFew) { options.onTooFew(); } return; }
      button.closest(".member").remove();
      renumber();
      if (options.onChange) { options.onChange(); }
    });
    root.document.getElementById("add-member").addEventListener("click", function () {
      addMember(nextIndex).querySelector("input:not([type=checkbox])").focus();
      if (options.onChange) { options.onChange(); }
    });
    renumber();

    return {rows: rows, renumber: renumber, addMember: addMember, fields: fields,
            restore: restore, clear: clear};
  }

  root.NuteraSurveyForm = {bind: bind};
})(window);
