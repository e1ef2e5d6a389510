// The survey form that works without signal: filled from the area data kept on the device,
// saved with its house photo into the outbox (IndexedDB), sent once when there is signal.
(function () {
  "use strict";
  var form = document.getElementById("offline-survey-form");
  if (!form || !window.NuteraStore || !window.NuteraApp) { return; }
  var Store = window.NuteraStore, App = window.NuteraApp;
  var pick = document.querySelector("[data-household-pick]");
  var result = document.querySelector("[data-offline-result]");
  var photoKept = document.querySelector("[data-photo-kept]");
  var taskNote = document.querySelector("[data-task-note]");
  var params = new URLSearchParams(window.location.search);
  var households = {};
  var editing = null;  // the outbox item being fixed
  var task = null;  // the open survey task this survey answers
  var members = window.NuteraSurveyForm.bind(form);
  var rows = members.rows, fields = members.fields;

  function announce(kind, text) { result.className = "alert alert-" + kind; result.textContent = text; }

  function clearForm() { members.clear(); }

  function restore(pairs) {
    clearForm();
    members.restore(pairs);
  }

  function value(pairs, name) {
    var pair = pairs.filter(function (p) { return p[0] === name; })[0];
    return pair ? pair[1] : "";
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
    announce("info", "Menyimpan di perangkat…");
    var item = editing || {kind: "survey", userId: App.userId};
    if (task) { item.taskId = task.id; }
    item.label = (kk ? "KK " + kk : "KK baru") + " · " + head;
    item.fields = pairs;
    item.base = household ? {kk: kk, version: household.version, pairs: household.pairs} : (item.base || {});
    item.errors = {};
    window.NuteraPhoto.of(form.elements.namedItem("photo")).then(function (blob) {
      if (blob) {
        item.blobs = [{name: "photo", blob: blob}];
        item.uploaded = [];
      }
      return Store.add(item);
    }).then(function () {
      editing = null;
      task = null;
      taskNote.classList.add("d-none");
      clearForm();
      pick.value = "";
      photoKept.classList.add("d-none");
      if (params.has("item") || params.has("task")) { window.history.replaceState(null, "", window.location.pathname); }
      announce("success", "Tersimpan di kotak keluar: " + item.label + ". Dikirim otomatis saat ada sinyal.");
      App.askBackgroundSync();
      if (navigator.onLine) { App.sendNow(); }
      window.scrollTo(0, 0);
    }).catch(function () {
      announce("danger", "Penyimpanan perangkat penuh atau tidak tersedia; survei belum tersimpan.");
    });
  });

  // A survey task from the cached area: its RT, address and name (and its KK's registered
  // values when the task names a household of the area) fill the form.
  function startTask(area, id) {
    task = (area ? area.tasks : []).filter(function (t) { return String(t.id) === id; })[0] || null;
    if (!task) {
      announce("warning", "Tugas ini tidak ada di data lokal; perbarui data wilayah saat ada sinyal.");
      return;
    }
    if (task.kk && households[task.kk]) {
      pick.value = task.kk;
      restore(households[task.kk].pairs);
    } else {
      restore([["rt_id", String(task.rt_id)], ["address", task.address],
               ["kode_pos", area.kode_pos || ""], ["members-0-name", task.name || ""]]);
    }
    taskNote.textContent = "Tugas: " + (task.name || "Alamat") + " · " + task.address + " · " + task.rt +
      (task.note ? " — " + task.note : "");
    taskNote.classList.remove("d-none");
  }

  function start(area) {
    fillPicker(area);
    if (params.get("item")) {
      return Store.get(params.get("item")).then(function (item) {
        if (!item) { return; }
        editing = item;
        restore(item.fields);
        if (item.taskId) { task = {id: item.taskId}; }
        if ((item.blobs || []).length) { photoKept.classList.remove("d-none"); }
        announce("warning", "Perbaiki isian: " + (item.message || ""));
      });
    }
    if (params.get("task")) { return startTask(area, params.get("task")); }
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
