// The survey form that works without signal: filled from the area data kept on the device,
// saved with its house photo into the outbox (IndexedDB), sent once when there is signal.
(function () {
  "use strict";
  var form = document.getElementById("offline-survey-form");
  if (!form || !window.NuteraStore || !window.NuteraApp) { return; }
  var Store = window.NuteraStore, App = window.NuteraApp;
  var list = document.getElementById("members");
  var template = document.getElementById("member-template");
  var pick = document.querySelector("[data-household-pick]");
  var result = document.querySelector("[data-offline-result]");
  var photoKept = document.querySelector("[data-photo-kept]");
  var params = new URLSearchParams(window.location.search);
  var households = {};
  var editing = null;  // the outbox item being fixed
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
  function announce(kind, text) { result.className = "alert alert-" + kind; result.textContent = text; }

  function clearForm() {
    form.reset();
    rows().forEach(function (row, i) { if (i > 0) { row.remove(); } });
    nextIndex = 0;
    renumber();
  }

  function restore(pairs) {
    clearForm();
    var wanted = [];
    pairs.forEach(function (pair) {
      var match = /^members-(\d+)-/.exec(pair[0]);
      if (match && wanted.indexOf(match[1]) < 0) { wanted.push(match[1]); }
    });
    if (wanted.length) {
      rows().forEach(function (row) { row.remove(); });
      wanted.sort(function (a, b) { return a - b; }).forEach(function (index) { addMember(index); });
    }
    pairs.forEach(function (pair) {
      var element = form.elements.namedItem(pair[0]);
      if (!element || element.type === "file") { return; }
      if (element.type === "checkbox") { element.checked = true; } else { element.value = pair[1]; }
    });
    renumber();
  }

  function fields() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrf_token") { pairs.push([name, value]); }
    });
    return pairs;
  }

  function value(pairs, name) {
    var pair = pairs.filter(function (p) { return p[0] === name; })[0];
    return pair ? pair[1] : "";
  }

  // Phone cameras make 3-8 MB photos; keep (and send) a 1600 px JPEG instead.
  function shrink(file) {
    if (!file || file.size < 1500000 || !window.createImageBitmap) { return Promise.resolve(file); }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  function fillPicker(area) {
    households = {};
    pick.querySelectorAll("option[value]:not([value=''])").forEach(function (o) { o.remove(); });
    if (!area) { return; }
    area.rts.forEach(function (rt) {
      var group = document.createElement("optgroup");
      group.label = rt.label;
      rt.households.forEach(function (household) {
        households[household.kk] = household;
        var option = document.createElement("option");
        option.value = household.kk;
        option.textContent = household.head + " · " + household.address;
        group.appendChild(option);
      });
      pick.appendChild(group);
    });
  }

  pick.addEventListener("change", function () {
    var household = households[pick.value];
    if (household) { restore(household.pairs); } else { clearForm(); }
  });
  list.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-member]");
    if (!button || rows().length <= 1) { return; }
    button.closest(".member").remove();
    renumber();
  });
  document.getElementById("add-member").addEventListener("click", function () {
    addMember(nextIndex).querySelector("input:not([type=checkbox])").focus();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var pairs = fields();
    if (!value(pairs, "address") || !value(pairs, "members-" + rows()[0].dataset.index + "-name")) {
      announce("danger", "Isi alamat dan nama anggota keluarga sebelum menyimpan.");
      return;
    }
    var kk = value(pairs, "kk_number");
    var household = households[kk];
    var head = value(pairs, "members-" + rows()[0].dataset.index + "-name");
    var file = form.elements.namedItem("photo").files[0];
    announce("info", "Menyimpan di perangkat…");
    var item = editing || {kind: "survey", userId: App.userId};
    item.label = (kk ? "KK " + kk : "KK baru") + " · " + head;
    item.fields = pairs;
    item.base = household ? {kk: kk, version: household.version, pairs: household.pairs} : (item.base || {});
    item.errors = {};
    shrink(file).then(function (blob) {
      if (blob) {
        item.blobs = [{name: "photo", blob: blob}];
        item.uploaded = [];
      }
      return Store.add(item);
    }).then(function () {
      editing = null;
      clearForm();
      pick.value = "";
      photoKept.classList.add("d-none");
      if (params.has("item")) { window.history.replaceState(null, "", window.location.pathname); }
      announce("success", "Tersimpan di kotak keluar: " + item.label + ". Dikirim otomatis saat ada sinyal.");
      App.askBackgroundSync();
      if (navigator.onLine) { App.sendNow(); }
      window.scrollTo(0, 0);
    }).catch(function () {
      announce("danger", "Penyimpanan perangkat penuh atau tidak tersedia; survei belum tersimpan.");
    });
  });

  renumber();
  function start(area) {
    fillPicker(area);
    if (params.get("item")) {
      return Store.get(params.get("item")).then(function (item) {
        if (!item) { return; }
        editing = item;
        restore(item.fields);
        if ((item.blobs || []).length) { photoKept.classList.remove("d-none"); }
        announce("warning", "Perbaiki isian: " + (item.message || ""));
      });
    }
    if (params.get("kk") && households[params.get("kk")]) {
      pick.value = params.get("kk");
      restore(households[params.get("kk")].pairs);
    }
  }
  Store.area(App.userId).then(start);
  document.addEventListener("nutera:area", function () {
    if (!editing && !pick.value) { Store.area(App.userId).then(fillPicker); }
  });
})();
