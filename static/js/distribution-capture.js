// The handover form on a phone: signature pad, proxy fields, GPS, and a submit that is
// queued on the phone first so it survives a lost connection.
(function () {
  "use strict";
  var form = document.querySelector("[data-handover-form]");
  if (!form) { return; }
  var canvas = document.getElementById("signature-pad");
  var pad = new SignaturePad(canvas, {minWidth: 1.2, maxWidth: 3});
  var thumbprint = form.querySelector('[name="thumbprint"]');
  var photo = form.querySelector('[name="photo"]');
  var result = document.querySelector("[data-result]");
  var button = form.querySelector('[type="submit"]');

  function resizeCanvas() {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
  }
  resizeCanvas();
  form.querySelector("[data-signature-clear]").addEventListener("click", function () { pad.clear(); });

  var proxyToggle = form.querySelector("[data-proxy-toggle]");
  proxyToggle.addEventListener("change", function () {
    form.querySelector("[data-proxy-fields]").classList.toggle("d-none", !proxyToggle.checked);
  });

  var gpsStatus = form.querySelector("[data-gps-status]");
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (position) {
      form.latitude.value = position.coords.latitude.toFixed(6);
      form.longitude.value = position.coords.longitude.toFixed(6);
      form.gps_accuracy_m.value = Math.round(position.coords.accuracy);
      gpsStatus.textContent = "Lokasi GPS tercatat (±" + Math.round(position.coords.accuracy) + " m).";
    }, function () {
      gpsStatus.textContent = "Lokasi GPS tidak tersedia; serah terima tetap dapat dicatat.";
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  }

  function showErrors(errors) {
    form.querySelectorAll("[data-error-for]").forEach(function (el) { el.textContent = ""; });
    Object.keys(errors).forEach(function (field) {
      var target = form.querySelector('[data-error-for="' + field + '"]') || result;
      target.textContent = [].concat(errors[field]).join(" ");
    });
  }

  // After a save (or a refused repeat): the receipt and the way to the next recipient.
  function showNext(data) {
    var after = document.querySelector("[data-after-save]");
    if (!after || !data) { return; }
    if (data.next_url) { after.querySelector("[data-next-url]").href = data.next_url; }
    var receipt = after.querySelector("[data-receipt-url]");
    if (data.receipt_url) { receipt.href = data.receipt_url; } else { receipt.remove(); }
    after.classList.remove("d-none");
    after.classList.add("d-flex");
  }

  function announce(kind, message) {
    result.className = "alert alert-" + kind;
    result.textContent = message;
  }

  function dataUrlToBlob(url) {
    var parts = url.split(","), bytes = atob(parts[1]), array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) { array[i] = bytes.charCodeAt(i); }
    return new Blob([array], {type: "image/png"});
  }

  // The photo as attached, already shrunk on the device (photo-shrink.js).
  function shrunkPhoto() {
    return window.NuteraPhoto ? window.NuteraPhoto.of(photo) : Promise.resolve(photo.files[0]);
  }

  function settle(outcome, forget) {
    if (outcome.kind === "retry") {
      form.classList.add("d-none");
      announce("warning", "Belum terkirim: data disimpan di ponsel dan akan dikirim ulang otomatis.");
      return;
    }
    forget();
    if (outcome.kind === "ok") {
      form.classList.add("d-none");
      announce("success", outcome.data.message);
      if (window.NuteraProgress) { window.NuteraProgress.poll(); }
      showNext(outcome.data);
    } else if (outcome.kind === "duplicate") {
      form.classList.add("d-none");
      announce("danger", outcome.data.message);
      showNext(outcome.data);
    } else {
      button.disabled = false;
      announce("danger", outcome.data.message || "Periksa kembali isian yang ditandai.");
      showErrors(outcome.data.errors || {});
    }
  }

  // A first handover (not a correction) goes through the device's shared outbox: kept with
  // its photo and signature in IndexedDB, sent once with a key made on this device.
  function outboxTarget() {
    var match = /\/penyaluran\/(\d+)\/serah-terima\/(\d+)$/.exec(window.location.pathname);
    if (!window.NuteraStore || !window.NuteraSync || !window.NuteraApp) { return null; }
    if (form.dataset.eventId && form.dataset.recipientId) {  // the offline capture form
      return {eventId: Number(form.dataset.eventId), recipientId: Number(form.dataset.recipientId)};
    }
    return match ? {eventId: Number(match[1]), recipientId: Number(match[2])} : null;
  }

  // An item sent later (reconnect, "Kirim sekarang", Background Sync) moves the progress bar.
  document.addEventListener("nutera:synced", function () {
    if (window.NuteraProgress) { window.NuteraProgress.poll(); }
  });

  var deviceKey = null;
  function queueInOutbox(fields, target) {
    var Store = window.NuteraStore;
    deviceKey = deviceKey || Store.uuid();
    fields = fields.filter(function (pair) { return pair[0] !== "idempotency_key"; });
    var blobs = [];
    button.disabled = true;
    announce("info", "Menyimpan di ponsel dan mengirim...");
    shrunkPhoto().then(function (blob) {
      blobs.push({name: "photo", blob: blob});
      if (!thumbprint.checked) { blobs.push({name: "signature", blob: dataUrlToBlob(pad.toDataURL("image/png"))}); }
      return Store.add({key: deviceKey, kind: "handover", userId: window.NuteraApp.userId,
                        label: "Serah terima · " + (form.dataset.recipient || "Penerima"),
                        fields: fields, blobs: blobs, eventId: target.eventId, recipientId: target.recipientId});
    }).then(function () {
      window.NuteraApp.askBackgroundSync();
      return navigator.onLine ? window.NuteraSync.run() : null;
    }).then(function () {
      return Promise.all([Store.get(deviceKey), Store.sent()]);
    }).then(function (found) {
      var waiting = found[0];
      var sent = found[1].filter(function (record) { return record.key === deviceKey; })[0];
      if (sent) { return settle({kind: "ok", data: sent}, function () {}); }
      if (waiting && waiting.state === "refused") {
        var refusal = waiting.refusal || {};
        var duplicate = !!refusal.duplicate_of;
        return Store.remove(deviceKey).then(function () {
          settle({kind: duplicate ? "duplicate" : "invalid",
                  data: {message: waiting.message, errors: waiting.errors,
                         receipt_url: refusal.receipt_url, next_url: refusal.next_url}}, function () {});
        });
      }
      settle({kind: "retry"}, function () {});
      window.NuteraApp.refreshBadge();
    }).catch(function () {
      button.disabled = false;
      announce("danger", "Penyimpanan ponsel tidak tersedia; coba lagi.");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var errors = {};
    if (!form.identity_checked.checked) { errors.identity_checked = "Cocokkan dulu identitas dengan KTP/KK."; }
    if (!photo.files.length) { errors.photo = "Ambil foto serah terima."; }
    if (!thumbprint.checked && pad.isEmpty()) {
      errors.signature = "Minta penerima menandatangani, atau tandai cap jempol.";
    }
    showErrors(errors);
    if (Object.keys(errors).length) { return; }
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrf_token") { fields.push([name, value]); }
    });
    var outbox = outboxTarget();
    if (outbox) { queueInOutbox(fields, outbox); return; }
    var item = {
      key: form.idempotency_key.value, url: form.action || window.location.href, fields: fields,
      photo: null, photoName: "foto.jpg",
      signature: thumbprint.checked ? null : dataUrlToBlob(pad.toDataURL("image/png")),
      label: form.dataset.recipient || "Penerima"
    };
    button.disabled = true;
    announce("info", "Mengirim...");
    shrunkPhoto()
      .then(function (blob) {
        item.photo = blob;
        return window.NuteraQueue.add(item).catch(function () { /* private mode: no copy */ });
      })
      .then(function () { return window.NuteraQueue.send(item); })
      .then(function (outcome) { settle(outcome, function () { window.NuteraQueue.remove(item.key).catch(function () {}); }); });
  });
})();
