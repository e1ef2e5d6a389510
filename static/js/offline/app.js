// The field app on every page: the service worker (and its updates), the outbox badge,
// sending the outbox on app open, on reconnect and on request, the volunteer's area data,
// and wiping the local data once nobody is signed in.
(function () {
  "use strict";
  var Store = window.NuteraStore, Sync = window.NuteraSync;
  var meta = document.querySelector('meta[name="nutera-user"]');
  var userId = meta ? Number(meta.content) : 0;
  var role = meta ? meta.dataset.role : "";
  var FLAG = "nutera-offline-user";
  var AREA_REFRESH_MS = 30 * 60 * 1000;
  var FIELD_PAGES = ["/survei/", "/survei/luring", "/luring/kotak-keluar"];
  var HANDOVER_PAGES = ["/luring/penyaluran", "/luring/serah-terima"];
  if (!window.indexedDB || !Store) { return; }

  function format(ms) {
    return new Intl.DateTimeFormat("id-ID", {day: "numeric", month: "long", year: "numeric",
                                            hour: "2-digit", minute: "2-digit"}).format(new Date(ms));
  }

  // Nobody signed in (signed out, or the session ended): this device forgets the area.
  if (!userId) {
    if (localStorage.getItem(FLAG)) {
      Store.wipe().then(function () { localStorage.removeItem(FLAG); });
    }
    return;
  }
  if (localStorage.getItem(FLAG) && localStorage.getItem(FLAG) !== String(userId)) { Store.wipe(); }
  localStorage.setItem(FLAG, String(userId));

  // --- badge and state ------------------------------------------------------------------
  function refreshBadge() {
    return Store.counts().then(function (counts) {
      document.querySelectorAll("[data-outbox-badge]").forEach(function (badge) {
        badge.querySelector("[data-outbox-count]").textContent = String(counts.total);
        badge.classList.toggle("d-none", counts.total === 0);
        badge.setAttribute("aria-label", counts.total + " data menunggu dikirim");
      });
      document.dispatchEvent(new CustomEvent("nutera:outbox", {detail: counts}));
      return counts;
    });
  }

  function showAreaStamp() {
    return Store.area(userId).then(function (area) {
      document.querySelectorAll("[data-area-stamp]").forEach(function (el) {
        el.textContent = area ? "Data lokal per " + format(area.fetched_at) : "Data wilayah belum tersimpan di perangkat ini.";
      });
      return area;
    });
  }

  Store.onChange(refreshBadge);
  if (window.BroadcastChannel) {
    new BroadcastChannel("nutera-outbox").onmessage = function () { refreshBadge(); };
  }

  // --- sending ----------------------------------------------------------------------------
  function sendNow() {
    return Sync.run().then(function (summary) {
      refreshBadge();
      document.dispatchEvent(new CustomEvent("nutera:synced", {detail: summary}));
      return summary;
    });
  }

  function askBackgroundSync() {
    if (!("serviceWorker" in navigator)) { return Promise.resolve(); }
    return navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register("nutera-outbox"); }
    }).catch(function () { /* no Background Sync here: online and app-open retries cover it */ });
  }

  // --- area data (volunteers) --------------------------------------------------------------
  // Field pages kept for offline use: all of them after fresh area data, else the missing ones.
  function warmPages(all) {
    if (!("serviceWorker" in navigator) || !window.caches) { return Promise.resolve(); }
    var urls = (role === "volunteer" ? FIELD_PAGES : ["/luring/kotak-keluar"]).concat(HANDOVER_PAGES);
    return Promise.all(urls.map(function (url) {
      return all ? url : caches.match(url, {cacheName: Store.PAGE_CACHE}).then(function (hit) { return hit ? null : url; });
    })).then(function (wanted) {
      wanted = wanted.filter(Boolean);
      if (!wanted.length || !navigator.onLine) { return; }
      return navigator.serviceWorker.getRegistration().then(function (registration) {
        var worker = registration && (registration.active || registration.waiting);
        if (worker) { worker.postMessage({type: "WARM", urls: wanted}); }
      });
    });
  }

  // A copy kept on the device (area, events): fetched again when older than 30 minutes (or
  // forced); a signed-out answer wipes the local data. then() runs after a fresh copy is kept.
  function refreshCopy(current, url, save, force, then) {
    return current.then(function (copy) {
      if (copy && !force && Date.now() - copy.fetched_at < AREA_REFRESH_MS) { return copy; }
      return fetch(url, {credentials: "same-origin", redirect: "manual",
                         headers: {"Accept": "application/json", "X-Nutera-Background": "1"}})
        .then(function (response) {
          if (response.type === "opaqueredirect" || response.status === 401) { return Store.wipe(); }
          if (!response.ok) { return null; }
          return response.json().then(save).then(then);
        });
    }).catch(function () { return null; });
  }

  function loadArea(force) {
    if (role !== "volunteer" || !navigator.onLine) { return showAreaStamp(); }
    return refreshCopy(Store.area(userId), "/luring/wilayah", Store.saveArea, force, function () {
      warmPages(true);
      document.dispatchEvent(new CustomEvent("nutera:area"));
    }).then(showAreaStamp);
  }

  // The distribution events of every handover officer (volunteers, staff, admins).
  function loadEvents(force) {
    if (!navigator.onLine) { return Promise.resolve(null); }
    return refreshCopy(Store.events(userId), "/luring/data-penyaluran", Store.saveEvents, force, function () {
      if (role !== "volunteer") { warmPages(true); }  // a volunteer's area load warms them
      document.dispatchEvent(new CustomEvent("nutera:events"));
    });
  }

  // Ask the browser to keep this origin's storage under pressure, where it can be asked.
  function persistStorage() {
    // Asked once per device: Firefox asks the user, who need not see it on every page.
    if (navigator.storage && navigator.storage.persist && !localStorage.getItem("nutera-persist-asked")) {
      localStorage.setItem("nutera-persist-asked", "1");
      navigator.storage.persist().catch(function () { /* best effort: the outbox works without it */ });
    }
  }

  // --- service worker and updates --------------------------------------------------------
  function offerUpdate(wb) {
    Store.counts().then(function (counts) {
      if (counts.total === 0) { wb.messageSkipWaiting(); return; }
      var banner = document.createElement("div");
      banner.className = "alert alert-info nt-update-banner d-flex flex-wrap gap-2 align-items-center";
      banner.setAttribute("role", "status");
      banner.dataset.updateBanner = "";
      var text = document.createElement("span");
      text.textContent = "Versi baru aplikasi siap. " + counts.total +
        " data masih di kotak keluar dan tetap aman bila diperbarui sekarang.";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-success";
      button.textContent = "Perbarui sekarang";
      button.addEventListener("click", function () {
        wb.addEventListener("controlling", function () { window.location.reload(); });
        wb.messageSkipWaiting();
        banner.remove();
      });
      banner.append(text, button);
      document.body.appendChild(banner);
    });
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !window.workbox) { return Promise.resolve(); }
    var wb = new window.workbox.Workbox("/sw.js", {scope: "/"});
    wb.addEventListener("waiting", function () { offerUpdate(wb); });
    // No reload on a silent update: a half-typed form stays; the next page uses the new version.
    wb.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-synced") {
        refreshBadge();
        document.dispatchEvent(new CustomEvent("nutera:synced", {detail: event.data.summary}));
      }
    });
    return wb.register().then(function () { return navigator.serviceWorker.ready; })
      .catch(function () { /* no worker: the pages still work online */ });
  }

  // Without signal, a form that starts work on the server (a survey task's "Survei") opens
  // its offline counterpart instead, filled from the data kept on the device.
  document.addEventListener("submit", function (event) {
    var target = event.target.closest && event.target.closest("form[data-offline-href]");
    if (!target || navigator.onLine) { return; }
    event.preventDefault();
    window.location.assign(target.dataset.offlineHref);
  });

  // A sign-out wipes the area before the request leaves (the signed-out page wipes again).
  document.querySelectorAll('form[action$="/logout"]').forEach(function (form) {
    form.addEventListener("submit", function () { localStorage.setItem(FLAG, "signed-out"); });
  });

  window.NuteraApp = {sendNow: sendNow, loadArea: loadArea, loadEvents: loadEvents, refreshBadge: refreshBadge,
                      askBackgroundSync: askBackgroundSync, userId: userId, role: role, format: format};

  window.addEventListener("online", function () { sendNow(); loadArea(false); loadEvents(false); });
  setInterval(function () {
    Store.counts().then(function (counts) { if (counts.waiting && navigator.onLine) { sendNow(); } });
  }, 30000);
  registerWorker().then(function () { return Promise.all([loadArea(false), loadEvents(false)]); })
    .then(function () { return warmPages(false); });
  showAreaStamp();
  persistStorage();
  // App open: the Wave-1 handover queue moves into the outbox (once), then what waits is sent.
  Store.migrateOldQueue().catch(function () { return 0; }).then(refreshBadge).then(function (counts) {
    if (counts.total && navigator.onLine) { sendNow(); }
  });
})();
