// Handovers without signal, from the event list kept on the device (NuteraStore.events):
// the offline desk finds a recipient of a cached event by name; the offline capture form
// shows the recipient it was opened for (the service worker serves both pages in place of a
// capture page that was never opened online).
(function (root) {
  "use strict";
  if (!root.NuteraStore || !root.NuteraApp) { return; }
  var Store = root.NuteraStore, App = root.NuteraApp;
  var params = new URLSearchParams(window.location.search);
  var pathIds = /^\/penyaluran\/(\d+)\/serah-terima(?:\/(\d+))?$/.exec(window.location.pathname) || [];
  var eventId = Number(pathIds[1] || params.get("event")) || 0;
  var recipientId = Number(pathIds[2] || params.get("recipient")) || 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function captureUrl(event, recipient) {
    return "/penyaluran/" + event.id + "/serah-terima/" + recipient.id;
  }

  function normal(text) { return (text || "").toLocaleLowerCase("id-ID").replace(/\s+/g, " ").trim(); }

  // --- the offline desk ---------------------------------------------------------------------
  function desk(search) {
    var pick = document.querySelector("[data-offline-event-pick]");
    var input = search.querySelector("[name=q]");
    var results = document.querySelector("[data-offline-results]");
    var count = document.querySelector("[data-offline-count]");
    var stamp = document.querySelector("[data-events-stamp]");
    var events = [];

    function show() {
      var event = events.filter(function (e) { return String(e.id) === pick.value; })[0];
      var query = normal(input.value);
      results.replaceChildren();
      if (!event || query.length < 3) { count.textContent = ""; return; }
      var found = event.recipients.filter(function (r) {
        return normal(r.name).indexOf(query) >= 0 || normal(r.head).indexOf(query) >= 0;
      }).slice(0, 20);
      count.textContent = found.length ? found.length + " penerima cocok." : "Tidak ada penerima yang cocok.";
      found.forEach(function (recipient) {
        var li = el("li", "list-group-item d-flex justify-content-between align-items-start gap-2");
        li.dataset.recipientRow = "";
        var text = el("div", "text-break");
        text.appendChild(el("div", "fw-semibold", recipient.name));
        var identity = [recipient.masked_nik ? "NIK " + recipient.masked_nik : "",
                        recipient.birth_day ? "lahir " + recipient.birth_day : ""].filter(Boolean).join(" · ");
        if (identity) { text.appendChild(el("div", "small", identity)); }
        if (recipient.head && recipient.head !== recipient.name) {
          text.appendChild(el("div", "small", "Kepala keluarga: " + recipient.head));
        }
        text.appendChild(el("div", "small text-muted", recipient.rt + (recipient.address ? " · " + recipient.address : "")));
        if (recipient.received) { text.appendChild(el("div", "small text-success", "Sudah menerima (data perangkat)")); }
        li.appendChild(text);
        var link = el("a", "btn btn-sm " + (recipient.received ? "btn-outline-success" : "btn-success"),
                      recipient.received ? "Sudah menerima" : "Serahkan");
        link.href = captureUrl(event, recipient);
        li.appendChild(link);
        results.appendChild(li);
      });
    }

    Store.events(App.userId).then(function (copy) {
      events = copy ? copy.events : [];
      if (copy) { stamp.textContent = "Data penyaluran per " + App.format(copy.fetched_at); }
      events.forEach(function (event) {
        var option = el("option", "", event.title + " · " + event.place);
        option.value = String(event.id);
        pick.appendChild(option);
      });
      if (eventId) { pick.value = String(eventId); }
      if (params.get("q")) { input.value = params.get("q"); }
      show();
      if (params.get("token")) { return byToken(params.get("token")); }
    });
    // A QR scanned without signal: its token's SHA-256 is matched against the device's copy.
    function byToken(token) {
      var event = events.filter(function (e) { return String(e.id) === pick.value; })[0];
      var hashed = root.crypto && root.crypto.subtle && root.TextEncoder
        ? Store.sha256(new Blob([new root.TextEncoder().encode(token)])) : Promise.reject(new Error("no digest"));
      return hashed.then(function (sha) {
        var recipient = event && event.recipients.filter(function (r) { return r.token_sha256 === sha; })[0];
        if (recipient) { window.location.replace(captureUrl(event, recipient)); return; }
        count.textContent = "Kode QR tidak dikenal untuk acara ini di data perangkat; cari penerima dengan nama.";
      }).catch(function () {
        count.textContent = "Kode QR belum dapat dicocokkan di perangkat ini; cari penerima dengan nama.";
      });
    }

    search.addEventListener("submit", function (event) { event.preventDefault(); show(); });
    pick.addEventListener("change", show);
  }

  // --- the offline capture form ---------------------------------------------------------------
  function capture(form) {
    var warning = document.querySelector("[data-recipient-warning]");
    var button = form.querySelector("[type=submit]");
    form.dataset.eventId = String(eventId);
    form.dataset.recipientId = String(recipientId);
    Store.events(App.userId).then(function (copy) {
      var event = (copy ? copy.events : []).filter(function (e) { return e.id === eventId; })[0];
      var recipient = event && event.recipients.filter(function (r) { return r.id === recipientId; })[0];
      if (!recipient) {
        warning.textContent = "Penerima ini tidak ada di data penyaluran perangkat ini. Cari lewat halaman serah terima, atau tunggu sinyal.";
        warning.classList.remove("d-none");
        button.disabled = true;
        return;
      }
      document.querySelector("[data-offline-event]").textContent = event.title + " · " + event.goods + " · " + event.place;
      document.querySelector("[data-recipient-name]").textContent = recipient.name;
      document.querySelector("[data-recipient-identity]").textContent =
        [recipient.masked_nik ? "NIK " + recipient.masked_nik : "", recipient.birth_day ? "lahir " + recipient.birth_day : ""]
          .filter(Boolean).join(" · ");
      document.querySelector("[data-recipient-place]").textContent = recipient.rt + (recipient.address ? " · " + recipient.address : "");
      document.querySelectorAll("[data-next-url], [data-next-recipient]").forEach(function (link) {
        link.href = "/penyaluran/" + event.id + "/serah-terima";
      });
      form.dataset.recipient = recipient.name;
      if (recipient.received) {
        warning.textContent = "Menurut data perangkat, bantuan sudah diterima penerima ini; server akan menolak catatan kedua.";
        warning.classList.remove("d-none");
      }
    });
  }

  var search = document.querySelector("[data-offline-search]");
  if (search) { desk(search); }
  var form = document.querySelector("[data-handover-form]");
  if (form && document.querySelector("[data-offline-event]")) { capture(form); }
})(window);
