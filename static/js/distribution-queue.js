// Handovers waiting on the phone: kept in IndexedDB until the server has answered, so a
// lost connection never loses a capture. Each carries its idempotency key: a retry after a
// lost response is recognised by the server and not recorded twice.
(function () {
  "use strict";
  var DB_NAME = "nutera-distribution", STORE = "pending";
  var flushing = false;

  // create: make the database when missing (to add); reading never creates it.
  function open(create) {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function (event) {
        if (!create && event.oldVersion === 0) { request.transaction.abort(); return; }
        request.result.createObjectStore(STORE, {keyPath: "key"});
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Each use opens and closes the database, so the field app can delete it once emptied.
  function run(mode, action) {
    return open(mode === "readwrite").then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = action(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && result.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  // A first handover left here by an older version of the app belongs to the shared outbox,
  // which takes it over on app open (NuteraStore.migrateOldQueue); only corrections stay.
  function ours(item) {
    return !(window.NuteraStore && /\/penyaluran\/\d+\/serah-terima\/\d+(?:[?#]|$)/.test(item.url || ""));
  }

  function add(item) { return run("readwrite", function (s) { return s.put(item); }); }
  function remove(key) { return run("readwrite", function (s) { return s.delete(key); }); }
  function all() { return run("readonly", function (s) { return s.getAll(); }); }

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  // One attempt; resolves to {kind: ok|duplicate|invalid|retry, data}.
  function send(item) {
    var body = new FormData();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    body.append("csrf_token", csrfToken());
    body.append("photo", item.photo, item.photoName || "foto.jpg");
    if (item.signature) { body.append("signature", item.signature, "tanda-tangan.png"); }
    return fetch(item.url, {method: "POST", body: body, credentials: "same-origin",
                            headers: {"Accept": "application/json", "X-CSRFToken": csrfToken()}})
      .then(function (response) {
        if (response.status === 413) {
          var message = "Foto terlalu besar untuk dikirim; ambil ulang dengan resolusi lebih kecil.";
          return {kind: "invalid", data: {message: message, errors: {photo: [message]}}};
        }
        var isJson = (response.headers.get("Content-Type") || "").indexOf("json") !== -1;
        if (!isJson) { return {kind: "retry", data: null}; }
        return response.json().then(function (data) {
          if (response.status === 200 || response.status === 201) { return {kind: "ok", data: data}; }
          if (response.status === 409) { return {kind: "duplicate", data: data}; }
          if (response.status === 422) { return {kind: "invalid", data: data}; }
          return {kind: "retry", data: data};
        });
      })
      .catch(function () { return {kind: "retry", data: null}; });
  }

  function showStatus(items, notes) {
    var box = document.querySelector("[data-queue-status]");
    if (!box) { return; }
    var lines = notes.slice();
    if (items.length) {
      lines.unshift(items.length + " serah terima belum terkirim (tersimpan di ponsel, dikirim ulang otomatis).");
    }
    box.textContent = lines.join(" ");
    box.classList.toggle("d-none", lines.length === 0);
  }

  // Send everything waiting; answered items leave the queue.
  function flush() {
    if (flushing || !window.indexedDB) { return Promise.resolve(); }
    flushing = true;
    var notes = [];
    return all().then(function (items) {
      return items.filter(ours).reduce(function (chain, item) {
        return chain.then(function () {
          return send(item).then(function (result) {
            if (result.kind === "retry") { return; }
            if (result.kind === "ok" && window.NuteraProgress) { window.NuteraProgress.show(result.data); }
            if (result.kind !== "ok") {
              notes.push(item.label + ": " + (result.data.message || "data tidak lengkap, ulangi pencatatan."));
            }
            return remove(item.key);
          });
        });
      }, Promise.resolve());
    }).then(all).then(function (left) { showStatus(left.filter(ours), notes); })
      .catch(function () { /* IndexedDB unavailable: nothing queued */ })
      .then(function () { flushing = false; });
  }

  window.NuteraQueue = {add: add, remove: remove, send: send, flush: flush};
  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  document.addEventListener("DOMContentLoaded", flush);
})();
