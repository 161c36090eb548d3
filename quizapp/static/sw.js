/* The takers' service worker, served as /sw.js (quizapp/staticfiles.py: never cached for long)
   and registered by attempt.js for the scope /contests/.

   It keeps only what belongs to nobody: the offline page with its stylesheet and script, and
   static files under versioned URLs (?v=…, whose content never changes). A taker's page under
   /contests/ that cannot be fetched for want of a network is answered with the offline page.
   Nothing else comes from the cache: no page's HTML and no API answer is ever stored, so a
   stale answer or another person's page cannot be shown. The answers' own offline queue is
   attempt.js's (localStorage); this worker never touches /api/. */
'use strict';

var VERSION = new URL(self.location.href).searchParams.get('v') || '0';
var CACHE = 'quizapp-shell-' + VERSION;
var OFFLINE = '/static/offline.html';
var SHELL = [OFFLINE, '/static/style.css', '/static/offline.js'];

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(SHELL.map(function (url) { return new Request(url, {cache: 'reload'}); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf('quizapp-shell-') === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () {
    // The page's request goes out while the worker starts, instead of after.
    if (self.registration.navigationPreload) return self.registration.navigationPreload.enable();
  }).then(function () { return self.clients.claim(); }));
});

function takerPage(url) {
  return url.pathname.indexOf('/contests/') === 0 && url.pathname.indexOf('/contests/manage/') !== 0;
}

self.addEventListener('fetch', function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    if (!takerPage(url)) return;
    // Always the network; the offline page only when there is none (a 503 is passed on as is).
    event.respondWith(Promise.resolve(event.preloadResponse).then(function (preloaded) {
      return preloaded || fetch(request);
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(OFFLINE); }).then(function (page) {
        return page || Response.error();
      });
    }));
  } else if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (response.ok && url.searchParams.has('v')) cache.put(request, response.clone());
          return response;
        });
      });
    }));
  }
});
