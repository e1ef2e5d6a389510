// The outbox page: each waiting item with its state, "Kirim sekarang", refused items with
// the server's reason and a way to fix and resend, sent items with the server's number.
(function () {
  "use strict";
  var list = document.querySelector("[data-outbox-list]");
  if (!list || !window.NuteraStore || !window.NuteraApp) { return; }
  var Store = window.NuteraStore, App = window.NuteraApp;
  var summary = document.querySelector("[data-outbox-summary]");
  var sentList = document.querySelector("[data-sent-list]");
  var STATES = {waiting: "Menunggu sinyal", sending: "Sedang dikirim…", refused: "Ditolak server"};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function errorLines(errors) {
    var lines = [];
    Object.keys(errors || {}).forEach(function (name) {
      if (name.charAt(0) === "_") { return; }
      [].concat(errors[name]).forEach(function (message) { lines.push(message); });
    });
    return lines;
  }

  function dropButton(item) {
    var drop = el("button", "btn btn-outline-danger", "Hapus dari perangkat");
    drop.type = "button";
    drop.addEventListener("click", function () {
      if (window.confirm("Hapus data ini dari perangkat? Data yang dihapus tidak terkirim.")) {
        Store.remove(item.key);
      }
    });
    return drop;
  }

  function itemRow(item) {
    var li = el("li", "card mb-2 nt-outbox-item");
    li.dataset.state = item.state;
    li.dataset.key = item.key;
    var body = el("div", "card-body py-2");
    body.appendChild(el("div", "fw-semibold text-break", item.label));
    body.appendChild(el("div", "small", (item.kind === "survey" ? "Survei" : "Serah terima") +
      " · dibuat " + App.format(item.createdAt) + " · " + (item.blobs || []).length + " berkas"));
    var state = el("div", "small fw-semibold", STATES[item.state] || item.state);
    state.dataset.itemState = item.state;
    body.appendChild(state);
    if (item.state === "refused") {
      body.appendChild(el("div", "text-danger small", item.message || ""));
      var details = errorLines(item.errors);
      if (details.length) {
        var ul = el("ul", "small text-danger mb-1");
        details.forEach(function (line) { ul.appendChild(el("li", "", line)); });
        body.appendChild(ul);
      }
      var actions = el("div", "d-flex flex-wrap gap-2 mt-1");
      if (item.kind === "survey") {
        var fix = el("a", "btn btn-outline-success", "Perbaiki dan kirim ulang");
        fix.href = "/survei/luring?item=" + encodeURIComponent(item.key);
        actions.appendChild(fix);
      } else {
        var retry = el("button", "btn btn-outline-success", "Kirim ulang");
        retry.type = "button";
        retry.addEventListener("click", function () {
          item.state = "waiting";
          Store.put(item).then(App.sendNow);
        });
        actions.appendChild(retry);
      }
      actions.appendChild(dropButton(item));
      body.appendChild(actions);
    }
    li.appendChild(body);
    return li;
  }

  // A handover the Wave-1 app queued without recording its officer: sent only once the
  // signed-in user says they recorded it (it is then recorded under their name), or removed.
  function unclaimedRow(item) {
    var li = el("li", "card mb-2 nt-outbox-item border-warning");
    li.dataset.state = "unclaimed";
    li.dataset.key = item.key;
    var body = el("div", "card-body py-2");
    body.appendChild(el("div", "fw-semibold text-break", item.label));
    body.appendChild(el("div", "small", "Serah terima · dicatat aplikasi versi lama · " +
      (item.blobs || []).length + " berkas"));
    body.appendChild(el("div", "small fw-semibold text-warning-emphasis",
      "Petugas pencatat tidak diketahui: belum dikirim."));
    var actions = el("div", "d-flex flex-wrap gap-2 mt-1");
    var mine = el("button", "btn btn-outline-success", "Saya yang mencatat, kirim atas nama saya");
    mine.type = "button";
    mine.dataset.claim = "";
    mine.addEventListener("click", function () {
      if (window.confirm("Serah terima ini akan tercatat atas nama Anda sebagai petugas. " +
                         "Lanjutkan hanya jika Anda yang mencatatnya.")) {
        Store.claim(item.key, App.userId).then(App.sendNow);
      }
    });
    actions.appendChild(mine);
    actions.appendChild(dropButton(item));
    body.appendChild(actions);
    li.appendChild(body);
    return li;
  }

  function sentRow(record) {
    var li = el("li", "card mb-2 nt-outbox-item");
    li.dataset.state = "sent";
    var body = el("div", "card-body py-2");
    body.appendChild(el("div", "fw-semibold text-break", record.label));
    var line = el("div", "small");
    line.appendChild(document.createTextNode("Terkirim " + App.format(record.sentAt) + " · nomor server: "));
    var link = el("a", "", record.serverLabel || ("#" + record.number));
    link.href = record.url || "#";
    line.appendChild(link);
    body.appendChild(line);
    if (record.conflict) { body.appendChild(el("div", "small text-warning-emphasis", record.message)); }
    li.appendChild(body);
    return li;
  }

  function render() {
    return Promise.all([Store.all(), Store.sent()]).then(function (results) {
      // A shared phone: another account's waiting items are neither shown nor removable
      // here; they are sent when that account signs in again.
      var items = results[0].filter(function (item) { return item.userId === App.userId; });
      var unclaimed = results[0].filter(function (item) { return item.unclaimed; });
      var others = results[0].length - items.length - unclaimed.length, sent = results[1];
      list.replaceChildren.apply(list, unclaimed.map(unclaimedRow).concat(items.map(itemRow)));
      sentList.replaceChildren.apply(sentList, sent.map(sentRow));
      var lines = [];
      if (items.length) {
        lines.push(items.length + " data menunggu dikirim." + (navigator.onLine ? "" : " Perangkat sedang tanpa sinyal."));
      }
      if (unclaimed.length) {
        lines.push(unclaimed.length + " serah terima dari aplikasi versi lama menunggu petugas yang mencatatnya.");
      }
      if (!lines.length) { lines.push("Kotak keluar kosong: semua data Anda sudah terkirim."); }
      if (others) { lines.push(others + " data milik akun lain di perangkat ini menunggu akun itu masuk."); }
      summary.textContent = lines.join(" ");
      summary.dataset.count = String(items.length);
      summary.dataset.unclaimed = String(unclaimed.length);
      summary.dataset.others = String(others);
    });
  }

  function renderArea() {
    var box = document.querySelector("[data-area-list]");
    if (!box) { return Promise.resolve(); }
    return Store.area(App.userId).then(function (area) {
      box.replaceChildren();
      if (!area) { box.appendChild(el("p", "small text-muted", "Belum ada data wilayah di perangkat ini.")); return; }
      if (area.tasks && area.tasks.length) {
        var tasks = el("ul", "list-group mb-3");
        tasks.dataset.areaTasks = "";
        area.tasks.forEach(function (task) {
          var li = el("li", "list-group-item d-flex justify-content-between align-items-center gap-2");
          li.appendChild(el("span", "text-break", "Tugas: " + (task.name || "Alamat") + " · " + task.address + " · " + task.rt));
          var start = el("a", "btn btn-outline-success", "Survei");
          start.href = "/survei/luring?task=" + encodeURIComponent(task.id);
          li.appendChild(start);
          tasks.appendChild(li);
        });
        box.appendChild(tasks);
      }
      area.rts.forEach(function (rt) {
        var details = el("details", "mb-2");
        details.appendChild(el("summary", "fw-semibold", rt.label + " · " + rt.households.length + " KK"));
        var ul = el("ul", "list-group");
        rt.households.forEach(function (household) {
          var li = el("li", "list-group-item d-flex justify-content-between align-items-center gap-2");
          li.appendChild(el("span", "text-break", household.head + " · " + household.address));
          var link = el("a", "btn btn-outline-success", "Survei");
          link.href = "/survei/luring?kk=" + household.kk;
          li.appendChild(link);
          ul.appendChild(li);
        });
        details.appendChild(ul);
        box.appendChild(details);
      });
    });
  }

  document.querySelector("[data-send-now]").addEventListener("click", function (event) {
    var button = event.currentTarget;
    button.disabled = true;
    summary.textContent = "Mengirim…";
    App.sendNow().then(function (result) {
      button.disabled = false;
      return render().then(function () {
        if (result.offline) { summary.textContent += " Belum ada sinyal; dicoba lagi otomatis."; }
        if (result.signedOut) { summary.textContent += " Masuk kembali untuk mengirim."; }
      });
    });
  });
  var refresh = document.querySelector("[data-refresh-area]");
  if (refresh) {
    refresh.addEventListener("click", function () { App.loadArea(true).then(renderArea); });
  }
  Store.onChange(render);
  if (window.BroadcastChannel) { new BroadcastChannel("nutera-outbox").addEventListener("message", render); }
  document.addEventListener("nutera:synced", render);
  document.addEventListener("nutera:area", renderArea);
  render();
  renderArea();
})();
