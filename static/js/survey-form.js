/* Survey form: add/remove members, autosave to the server and to this device, GPS. */
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) { return; }
  var key = "nutera-survey-" + form.dataset.surveyId;
  var statusLine = document.getElementById("save-status");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var prefix = "";  // kept in front of save messages until the volunteer types again
  var members = window.NuteraSurveyForm.bind(form, {
    onChange: function () { changed(); },
    onTooFew: function () { say("Minimal satu anggota keluarga."); }
  });
  var fields = members.fields, restore = members.restore;

  function say(text) { statusLine.textContent = prefix + text; }
  function clock(ms) {
    var d = new Date(ms);
    return String(d.getHours()).padStart(2, "0") + "." + String(d.getMinutes()).padStart(2, "0");
  }

  function saveLocal(savedAt) {
    try {
      localStorage.setItem(key, JSON.stringify({ fields: fields(), savedAt: savedAt }));
    } catch (e) { /* storage full or disabled: the server copy still counts */ }
  }

  function saveServer() {
    timer = null;
    var body = JSON.stringify({ fields: fields() });
    return fetch(form.dataset.draftUrl, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      saveLocal(data.saved_at);
      say("Tersimpan di server pukul " + clock(data.saved_at) + ".");
    }).catch(function () {
      say("Tidak ada koneksi: isian tersimpan di perangkat ini dan dikirim saat online.");
    });
  }

  function changed() {
    prefix = "";
    saveLocal(Date.now());
    say("Menyimpan…");
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(saveServer, 800);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // A page being closed (kept alive a moment longer under the service worker) leaves the
  // saving to the next page that opens this draft: the device copy is restored there.
  var leaving = false;
  window.addEventListener("pagehide", function () { leaving = true; });
  window.addEventListener("online", function () { if (!leaving) { saveServer(); } });

  // "Kirim survei" without signal: the survey goes into the device's outbox (with its photo)
  // instead of a failed page load; it is sent once when the signal is back.
  form.addEventListener("submit", function (event) {
    if (navigator.onLine || !window.NuteraStore || !window.NuteraApp) { return; }
    event.preventDefault();
    if (!event.submitter || event.submitter.value !== "submit") {
      saveLocal(Date.now());
      say("Tidak ada koneksi: draf tersimpan di perangkat ini dan dikirim saat online.");
      return;
    }
    var pairs = fields(), Store = window.NuteraStore, App = window.NuteraApp;
    var kk = (pairs.filter(function (p) { return p[0] === "kk_number"; })[0] || ["", ""])[1];
    var photo = form.elements.namedItem("photo");
    var file = null;
    window.NuteraPhoto.of(photo).then(function (shrunk) {
      file = shrunk;
      return Store.area(App.userId);
    }).then(function (area) {
      var household = null;
      (area ? area.rts : []).forEach(function (rt) {
        rt.households.forEach(function (h) { if (h.kk === kk) { household = h; } });
      });
      return Store.add({kind: "survey", userId: App.userId,
                        label: "Survei #" + form.dataset.surveyId + (kk ? " · KK " + kk : ""),
                        fields: pairs, blobs: file ? [{name: "photo", blob: file}] : [],
                        base: household ? {kk: kk, version: household.version, pairs: household.pairs} : {}});
    }).then(function () {
      localStorage.removeItem(key);
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      say("Tidak ada sinyal: survei disimpan di kotak keluar dan dikirim otomatis saat online.");
      App.askBackgroundSync();
    }).catch(function () {
      say("Penyimpanan perangkat penuh atau tidak tersedia; survei belum tersimpan.");
    });
  });

  document.getElementById("gps-button").addEventListener("click", function () {
    if (!navigator.geolocation) { say("Perangkat ini tidak mendukung GPS."); return; }
    say("Mengambil lokasi…");
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.namedItem("latitude").value = position.coords.latitude.toFixed(6);
      form.elements.namedItem("longitude").value = position.coords.longitude.toFixed(6);
      form.elements.namedItem("gps_accuracy_m").value = Math.round(position.coords.accuracy);
      changed();
    }, function () { say("Lokasi tidak dapat diambil. Boleh dilewati."); },
    { enableHighAccuracy: true, timeout: 20000 });
  });

  var local = null;
  try { local = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { local = null; }
  if (form.dataset.restorable === "1" && local && local.savedAt > Number(form.dataset.savedAt)) {
    restore(local.fields);
    prefix = "Isian dipulihkan dari perangkat ini. ";
    say("Mengirim ke server…");
    saveServer();
  }
})();
