// The device's offline store (IndexedDB "nutera-offline"), shared by pages and the service
// worker: one outbox for surveys and handovers (with their photos and signatures as blobs),
// the record of sent items, and the volunteer's area data. No DOM here.
(function (root) {
  "use strict";
  var DB_NAME = "nutera-offline", VERSION = 1;
  var AREA_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
  var PAGE_CACHE = "nutera-pages";
  var opened = null;

  function open() {
    if (opened) { return opened; }
    opened = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("outbox")) { db.createObjectStore("outbox", {keyPath: "key"}); }
        if (!db.objectStoreNames.contains("sent")) { db.createObjectStore("sent", {keyPath: "key"}); }
        if (!db.objectStoreNames.contains("area")) { db.createObjectStore("area", {keyPath: "id"}); }
      };
      request.onsuccess = function () {
        var db = request.result;
        db.onversionchange = function () { db.close(); opened = null; };
        resolve(db);
      };
      request.onerror = function () { opened = null; reject(request.error); };
    });
    return opened;
  }

  function run(storeName, mode, action) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        // "strict": a saved survey or handover is on disk before the page says so, so a
        // browser closed (or a phone switched off) right after keeps it.
        var tx = mode === "readwrite"
          ? db.transaction(storeName, mode, {durability: "strict"})
          : db.transaction(storeName, mode);
        var request = action(tx.objectStore(storeName));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function byCreated(items) {
    return items.sort(function (a, b) { return a.createdAt - b.createdAt; });
  }

  function uuid() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    root.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function sha256(blob) {
    return blob.arrayBuffer().then(function (buffer) {
      return root.crypto.subtle.digest("SHA-256", buffer);
    }).then(function (digest) {
      return Array.prototype.map.call(new Uint8Array(digest), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    });
  }

  // An item: {key, kind, userId, label, fields, blobs: [{name, sha, blob}], uploaded: [sha],
  // state: waiting|sending|refused, message, errors, createdAt, updatedAt, extra fields}.
  function put(item) {
    item.updatedAt = Date.now();
    if (!item.createdAt) { item.createdAt = item.updatedAt; }
    return run("outbox", "readwrite", function (s) { return s.put(item); }).then(notify);
  }

  // Blobs get their SHA-256 before they are kept, so an upload can be checked and resumed.
  function add(item) {
    item.key = item.key || uuid();
    item.state = "waiting";
    item.uploaded = item.uploaded || [];
    return Promise.all((item.blobs || []).map(function (entry) {
      return sha256(entry.blob).then(function (sha) { entry.sha = sha; });
    })).then(function () { return put(item); }).then(function () { return item; });
  }

  function get(key) { return run("outbox", "readonly", function (s) { return s.get(key); }); }
  function all() { return run("outbox", "readonly", function (s) { return s.getAll(); }).then(byCreated); }
  function remove(key) { return run("outbox", "readwrite", function (s) { return s.delete(key); }).then(notify); }

  // An unclaimed item (the Wave-1 queue's) becomes userId's, to be sent under their name.
  function claim(key, userId) {
    return get(key).then(function (item) {
      if (!item || !item.unclaimed || !userId) { return null; }
      item.userId = userId;
      item.unclaimed = false;
      item.state = "waiting";
      return put(item).then(function () { return item; });
    });
  }

  // A sent item leaves the outbox; its server number stays in "sent" (no photo, no fields).
  function markSent(item, result) {
    var record = {key: item.key, kind: item.kind, label: item.label, userId: item.userId,
                  number: result.number, serverLabel: result.label, url: result.url,
                  message: result.message, conflict: !!result.conflict,
                  receipt_url: result.receipt_url, next_url: result.next_url,
                  createdAt: item.createdAt, sentAt: Date.now()};
    return run("sent", "readwrite", function (s) { return s.put(record); })
      .then(function () { return remove(item.key); });
  }

  function sent() {
    return run("sent", "readonly", function (s) { return s.getAll(); }).then(function (items) {
      return items.sort(function (a, b) { return b.sentAt - a.sentAt; }).slice(0, 50);
    });
  }

  // Items the user must act on before they can be sent count apart from those waiting.
  function counts() {
    return all().then(function (items) {
      var result = {total: items.length, waiting: 0, sending: 0, refused: 0, unclaimed: 0};
      items.forEach(function (item) {
        var state = item.unclaimed ? "unclaimed" : item.state;
        result[state] = (result[state] || 0) + 1;
      });
      return result;
    });
  }

  function saveArea(area) {
    area.id = "area";
    return run("area", "readwrite", function (s) { return s.put(area); }).then(notify);
  }

  // The area copy, or null when there is none, it is another user's or older than 7 days
  // (then it is wiped).
  function area(userId) {
    return run("area", "readonly", function (s) { return s.get("area"); }).then(function (copy) {
      if (!copy) { return null; }
      var stale = Date.now() - copy.fetched_at > AREA_MAX_AGE_MS;
      if (stale || (userId && copy.user_id !== userId)) {
        return wipe().then(function () { return null; });
      }
      return copy;
    });
  }

  // The handover officer's events and their recipients (the same store, the same rules).
  function saveEvents(data) {
    data.id = "events";
    return run("area", "readwrite", function (s) { return s.put(data); }).then(notify);
  }

  function events(userId) {
    return run("area", "readonly", function (s) { return s.get("events"); }).then(function (copy) {
      if (!copy) { return null; }
      if (userId && copy.user_id !== userId) { return wipe().then(function () { return null; }); }
      if (Date.now() - copy.fetched_at > AREA_MAX_AGE_MS) {
        return run("area", "readwrite", function (s) { return s.delete("events"); }).then(function () { return null; });
      }
      return copy;
    });
  }

  // --- the Wave-1 handover queue ("nutera-distribution") ----------------------------------
  var OLD_DB = "nutera-distribution", OLD_STORE = "pending";
  var FIRST_HANDOVER = /\/penyaluran\/(\d+)\/serah-terima\/(\d+)(?:[?#]|$)/;

  // The old database if it exists (opening never creates it), else null.
  function openOld() {
    return new Promise(function (resolve) {
      var request = indexedDB.open(OLD_DB);
      var created = false;
      request.onupgradeneeded = function (event) {
        if (event.oldVersion === 0) { created = true; request.transaction.abort(); }
      };
      request.onsuccess = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains(OLD_STORE)) { db.close(); resolve(null); return; }
        db.onversionchange = function () { db.close(); };
        resolve(db);
      };
      request.onerror = function (event) { if (created) { event.preventDefault(); } resolve(null); };
      request.onblocked = function () { resolve(null); };
    });
  }

  function oldItems(db) {
    return new Promise(function (resolve, reject) {
      var request = db.transaction(OLD_STORE, "readonly").objectStore(OLD_STORE).getAll();
      request.onsuccess = function () { resolve(request.result || []); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function dropOld(db, key) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction(OLD_STORE, "readwrite", {durability: "strict"});
      tx.objectStore(OLD_STORE).delete(key);
      tx.oncomplete = function () { resolve(); };
      tx.onerror = function () { reject(tx.error); };
    });
  }

  // The old item's idempotency key as the outbox takes keys; one the server would refuse is
  // turned into a valid one the same way every time, so a move cut short cannot make two.
  function outboxKey(key) {
    key = String(key || "");
    if (/^[A-Za-z0-9-]{16,64}$/.test(key)) { return key; }
    var hex = Array.prototype.map.call(key, function (c) { return c.charCodeAt(0).toString(16); }).join("");
    return ("wave1-" + hex + "0000000000000000").slice(0, 64);
  }

  // A queued handover as an item of the shared outbox: its idempotency key kept (made here
  // when it had none), photo and signature as blobs; its CSRF token and key field dropped.
  // The old queue recorded no officer, and the handover is recorded under whoever sends it:
  // the item waits unclaimed (never sent) until a signed-in officer says it is theirs.
  function fromOld(old) {
    var match = FIRST_HANDOVER.exec(old.url || "");
    var blobs = [];
    if (old.photo) { blobs.push({name: "photo", blob: old.photo}); }
    if (old.signature) { blobs.push({name: "signature", blob: old.signature}); }
    return {
      key: outboxKey(old.key),
      kind: "handover", userId: null, unclaimed: true,
      label: "Serah terima · " + (old.label || "Penerima"),
      fields: (old.fields || []).filter(function (pair) {
        return pair[0] !== "idempotency_key" && pair[0] !== "csrf_token";
      }),
      blobs: blobs, eventId: Number(match[1]), recipientId: Number(match[2]),
      migratedFrom: OLD_DB
    };
  }

  // Moves the old queue's handovers into the outbox, each exactly once: an item is added
  // (unless its key is already there, from a move cut short) before it leaves the old queue.
  // The old database is deleted once empty. Corrections (staff, online) stay for their page.
  function migrateOldQueue() {
    if (!root.indexedDB) { return Promise.resolve(0); }
    function move() {
      return openOld().then(function (db) {
        if (!db) { return 0; }
        var moved = 0;
        return oldItems(db).then(function (items) {
          var handovers = items.filter(function (old) { return FIRST_HANDOVER.test(old.url || ""); });
          return handovers.reduce(function (chain, old) {
            return chain.then(function () {
              var item = fromOld(old);
              return get(item.key).then(function (present) {
                return present ? null : add(item).then(function () { moved += 1; });
              }).then(function () { return dropOld(db, old.key); });
            });
          }, Promise.resolve()).then(function () {
            var left = items.length - handovers.length;
            db.close();
            if (!left) {
              return new Promise(function (resolve) {
                var request = indexedDB.deleteDatabase(OLD_DB);
                request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
              });
            }
          });
        }).then(function () { return moved; }, function () { db.close(); return moved; });
      });
    }
    var locks = root.navigator && root.navigator.locks;
    return locks ? locks.request("nutera-old-queue", move) : move();
  }

  // Local data of the signed-in user: area, record of sent items, cached pages. Items still
  // waiting stay (a day of surveys is not thrown away) and are sent after the next sign-in.
  function wipe() {
    var jobs = [
      run("area", "readwrite", function (s) { return s.clear(); }),
      run("sent", "readwrite", function (s) { return s.clear(); })
    ];
    if (root.caches) { jobs.push(root.caches.delete(PAGE_CACHE)); }
    return Promise.all(jobs).then(notify);
  }

  var listeners = [];
  function notify(value) {
    listeners.forEach(function (fn) { try { fn(); } catch (e) { /* a listener's own error */ } });
    if (root.BroadcastChannel) {
      try { new root.BroadcastChannel("nutera-outbox").postMessage("changed"); } catch (e) { /* closed */ }
    }
    return value;
  }
  function onChange(fn) { listeners.push(fn); }

  root.NuteraStore = {
    open: open, add: add, put: put, get: get, all: all, remove: remove, claim: claim, markSent: markSent,
    sent: sent, counts: counts, saveArea: saveArea, area: area, wipe: wipe, uuid: uuid,
    saveEvents: saveEvents, events: events, migrateOldQueue: migrateOldQueue,
    sha256: sha256, onChange: onChange, PAGE_CACHE: PAGE_CACHE, AREA_MAX_AGE_MS: AREA_MAX_AGE_MS
  };
})(typeof self !== "undefined" ? self : window);
