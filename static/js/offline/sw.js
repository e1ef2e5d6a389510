/* Nutera's service worker: Workbox modules vendored under /static/vendor/workbox/ (no CDN).
   Caches the app shell and the field pages so they open without a connection, and sends the
   outbox on Background Sync. A new version waits until the page agrees (outbox empty, or the
   volunteer said yes). */
importScripts(
  "/static/vendor/workbox/workbox-core.prod.js",
  "/static/vendor/workbox/workbox-routing.prod.js",
  "/static/vendor/workbox/workbox-strategies.prod.js",
  "/static/vendor/workbox/workbox-cacheable-response.prod.js",
  "/static/vendor/workbox/workbox-expiration.prod.js",
  "/static/vendor/workbox/workbox-precaching.prod.js",
  "/static/js/offline/store.js",
  "/static/js/offline/sync.js"
);

var PAGE_CACHE = self.NuteraStore.PAGE_CACHE;
// Field pages: survey tasks and forms, the offline survey, the outbox, handover capture.
var FIELD_PAGES = /^\/(survei\/?$|survei\/luring$|survei\/\d+\/isi$|luring\/(kotak-keluar|penyaluran|serah-terima)$|penyaluran\/?$|penyaluran\/\d+(\/serah-terima(\/\d+)?)?$)/;
// Pages that are one page whatever their query (?kk=..., ?item=..., ?task=...).
var ONE_PAGE = ["/survei/luring", "/luring/kotak-keluar", "/luring/penyaluran", "/luring/serah-terima"];
// Without signal, a capture page never opened online is drawn from the cached event list:
// a recipient's form by the offline capture form, a search by the offline desk.
var CAPTURE_FORM = /^\/penyaluran\/\d+\/serah-terima\/\d+$/;
var CAPTURE_SEARCH = /^\/penyaluran\/\d+\/serah-terima$/;

workbox.core.setCacheNameDetails({prefix: "nutera"});
workbox.precaching.precacheAndRoute(self.__WB_MANIFEST, {ignoreURLParametersMatching: [/.*/]});
workbox.precaching.cleanupOutdatedCaches();

// The offline survey form is one page whatever the query (?kk=..., ?item=...).
var onePagePerPath = {
  cacheKeyWillBeUsed: function (options) {
    var url = new URL(options.request.url);
    return ONE_PAGE.indexOf(url.pathname) >= 0 ? url.origin + url.pathname : options.request.url;
  }
};
// Only a page the server answered itself: never a redirect to the sign-in page.
var onlyRealPages = {
  cacheWillUpdate: function (options) {
    var response = options.response;
    return response && response.status === 200 && !response.redirected ? response : null;
  }
};

workbox.routing.registerRoute(
  function (options) {
    return options.request.mode === "navigate" && options.url.origin === self.location.origin &&
      FIELD_PAGES.test(options.url.pathname);
  },
  new workbox.strategies.NetworkFirst({
    cacheName: PAGE_CACHE,
    networkTimeoutSeconds: 6,
    plugins: [onePagePerPath, onlyRealPages,
              new workbox.expiration.ExpirationPlugin({maxEntries: 300, maxAgeSeconds: 7 * 24 * 3600})]
  })
);

// Any other page the phone cannot reach: the outbox page, which works from the cache.
workbox.routing.setCatchHandler(function (options) {
  if (options.request.mode === "navigate") {
    var path = new URL(options.request.url).pathname;
    var standIn = CAPTURE_FORM.test(path) ? "/luring/serah-terima"
      : CAPTURE_SEARCH.test(path) ? "/luring/penyaluran" : "/luring/kotak-keluar";
    return caches.open(PAGE_CACHE).then(function (cache) {
      return cache.match(self.location.origin + standIn).then(function (page) {
        return page || cache.match(self.location.origin + "/luring/kotak-keluar");
      });
    }).then(function (page) { return page || Response.error(); });
  }
  return Response.error();
});

function tellPages(summary) {
  return self.clients.matchAll({type: "window"}).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({type: "outbox-synced", summary: summary}); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "nutera-outbox") {
    event.waitUntil(self.NuteraSync.run().then(function (summary) {
      return tellPages(summary).then(function () {
        if (summary.offline) { throw new Error("still offline"); }  // the browser retries later
      });
    }));
  }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "SKIP_WAITING") { self.skipWaiting(); }
  if (data.type === "WARM") {  // the field pages, fetched while online after the area loads
    event.waitUntil(caches.open(PAGE_CACHE).then(function (cache) {
      return Promise.all((data.urls || []).map(function (url) {
        // A background fetch: no redirect followed, and the server leaves the cookie alone.
        return fetch(url, {credentials: "same-origin", redirect: "manual",
                           headers: {"X-Nutera-Background": "1"}}).then(function (response) {
          if (response.status === 200) { return cache.put(url, response); }
        }).catch(function () { /* offline: warmed next time */ });
      }));
    }));
  }
  if (data.type === "WIPE") { event.waitUntil(self.NuteraStore.wipe()); }
});

self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
