// Sending the outbox: photos and signatures first (by SHA-256, skipping those the server
// already has, so a half-sent item resumes), then the record with its idempotency key. The
// server answers a repeat with the first result, so a lost answer never makes a second record.
// Runs in pages and in the service worker (Background Sync); no DOM here.
(function (root) {
  "use strict";
  var Store = root.NuteraStore;
  var running = null;
  var LANES = 3;  // items sent at the same time
  var base = (root.location && root.location.origin) || "";

  function request(method, url, body, headers) {
    return fetch(base + url, {method: method, body: body, credentials: "same-origin",
                              headers: headers || {}, cache: "no-store"});
  }

  function json(response) {
    var type = response.headers.get("Content-Type") || "";
    return type.indexOf("json") === -1 ? Promise.resolve({}) : response.json().catch(function () { return {}; });
  }

  function refuse(item, data, fallback) {
    item.state = "refused";
    item.message = (data && data.message) || fallback;
    item.errors = (data && data.errors) || {};
    item.refusal = {duplicate_of: data && data.duplicate_of, receipt_url: data && data.receipt_url,
                    next_url: data && data.next_url};
    return Store.put(item).then(function () { return "refused"; });
  }

  // Upload what the server lacks; resolves "ok", "refused" or "stop" (offline / signed out).
  function uploadBlobs(item, token, resumed) {
    var pending = (item.blobs || []).filter(function (entry) { return item.uploaded.indexOf(entry.sha) < 0; });
    return pending.reduce(function (chain, entry) {
      return chain.then(function (outcome) {
        if (outcome !== "ok") { return outcome; }
        var url = "/luring/berkas/" + entry.sha;
        // A first attempt uploads straight away; a resumed one asks first what arrived.
        var check = resumed ? request("HEAD", url) : Promise.resolve({status: 404});
        return check.then(function (head) {
          if (head.status === 204) { return head; }
          return request("PUT", url, entry.blob, {"Content-Type": entry.blob.type || "application/octet-stream",
                                                  "X-CSRFToken": token});
        }).then(function (response) {
          if (response.status === 204 || response.status === 200 || response.status === 201) {
            item.uploaded.push(entry.sha);
            return Store.put(item).then(function () { return "ok"; });
          }
          if (response.status === 422 || response.status === 413) {
            return json(response).then(function (data) {
              return refuse(item, data, "Foto terlalu besar atau rusak; ambil ulang fotonya.");
            });
          }
          return "stop";
        });
      });
    }, Promise.resolve("ok"));
  }

  function payload(item) {
    var blobs = {};
    (item.blobs || []).forEach(function (entry) { blobs[entry.name] = entry.sha; });
    return JSON.stringify({key: item.key, kind: item.kind, fields: item.fields, blobs: blobs,
                           base: item.base || {}, event_id: item.eventId, recipient_id: item.recipientId,
                           task_id: item.taskId});
  }

  function sendRecord(item, token) {
    return request("POST", "/luring/kirim", payload(item),
                   {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token})
      .then(function (response) {
        return json(response).then(function (data) {
          if (response.status === 200 || response.status === 201) {
            return Store.markSent(item, data).then(function () { return "sent"; });
          }
          if (data.status === "missing_blob") {  // the server lost track: upload again
            item.uploaded = [];
            item.state = "waiting";
            return Store.put(item).then(function () { return "stop"; });
          }
          if (response.status === 422 || response.status === 409) {
            return refuse(item, data, "Ditolak server; periksa isian lalu kirim ulang.");
          }
          return "stop";
        });
      });
  }

  function sendOne(item, token) {
    var resumed = !!item.tried;
    item.tried = true;
    item.state = "sending";
    item.message = "";
    return Store.put(item)
      .then(function () { return uploadBlobs(item, token, resumed); })
      .then(function (outcome) { return outcome === "ok" ? sendRecord(item, token) : outcome; })
      .catch(function () { return "stop"; })
      .then(function (outcome) {
        if (outcome === "stop" && item.state === "sending") {
          item.state = "waiting";
          return Store.put(item).then(function () { return outcome; });
        }
        return outcome;
      });
  }

  function once() {
    var summary = {sent: 0, refused: 0, left: 0, offline: false, signedOut: false};
    return request("GET", "/luring/status", undefined, {"Accept": "application/json"}).then(function (response) {
      if (response.status === 401) {  // signed out, or the session was ended by an admin
        summary.signedOut = true;
        return Store.wipe().then(function () { return summary; });
      }
      if (!response.ok) { summary.offline = true; return summary; }
      return response.json().then(function (status) {
        return Store.all().then(function (items) {
          var mine = items.filter(function (item) {
            return item.state !== "refused" && item.userId === status.user_id;
          });
          // A few items at once: on a slow link each request waits out its round trip, so
          // several in flight overlap those waits while sharing the upload rate.
          var next = 0, stopped = false;
          function lane() {
            if (stopped || next >= mine.length) { return Promise.resolve(); }
            var item = mine[next++];
            return sendOne(item, status.csrf_token).then(function (outcome) {
              if (outcome === "sent") { summary.sent += 1; }
              if (outcome === "refused") { summary.refused += 1; }
              if (outcome === "stop") { stopped = true; }
              return lane();
            });
          }
          var lanes = [];
          for (var i = 0; i < Math.min(LANES, mine.length); i++) { lanes.push(lane()); }
          return Promise.all(lanes).then(function () { summary.offline = stopped; return summary; });
        });
      });
    }, function () { summary.offline = true; return summary; })
      .then(function () { return Store.counts(); })
      .then(function (counts) { summary.left = counts.total; return summary; });
  }

  // One run at a time in this context, and across tabs and the worker where Web Locks exist.
  function run() {
    if (running) { return running; }
    var work = root.navigator && root.navigator.locks
      ? root.navigator.locks.request("nutera-outbox-sync", once)
      : once();
    running = work.then(function (summary) { running = null; return summary; },
                        function (error) { running = null; throw error; });
    return running;
  }

  root.NuteraSync = {run: run};
})(typeof self !== "undefined" ? self : window);
