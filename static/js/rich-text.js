// Program texts edited with pell instead of typing tags. The textarea stays the field that is
// sent (and works without JavaScript); the server cleans whatever arrives with nh3.
(function () {
  "use strict";
  if (!window.pell) { return; }
  var actions = [
    {name: "bold", title: "Tebal"},
    {name: "italic", title: "Miring"},
    {name: "paragraph", title: "Paragraf"},
    {name: "ulist", title: "Daftar berbutir"},
    {name: "olist", title: "Daftar bernomor"},
    {
      name: "link", title: "Tautan",
      result: function () {
        var url = window.prompt("Alamat tautan (mulai dengan https://)");
        if (url) { window.pell.exec("createLink", url); }
      }
    }
  ];
  document.querySelectorAll("textarea[data-rich-text]").forEach(function (textarea, index) {
    var holder = document.createElement("div");
    holder.className = "rich-text";
    textarea.insertAdjacentElement("afterend", holder);
    window.pell.init({
      element: holder,
      actions: actions,
      defaultParagraphSeparator: "p",
      onChange: function (html) { textarea.value = html; }
    });
    holder.content.innerHTML = textarea.value;
    var label = document.querySelector('label[for="' + textarea.id + '"]');
    if (label) {
      label.id = label.id || "rich-text-label-" + index;
      holder.content.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", function () { holder.content.focus(); });
    }
    holder.content.setAttribute("role", "textbox");
    holder.content.setAttribute("aria-multiline", "true");
    holder.content.setAttribute("data-rich-text-for", textarea.name);
    holder.querySelectorAll(".pell-button").forEach(function (button) {
      button.setAttribute("aria-label", button.title);
    });
    textarea.hidden = true;
  });
})();
