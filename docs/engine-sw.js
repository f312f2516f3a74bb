// Keeps the in-browser engine (assets/engine/) on the reader's device after its first Run, so
// a later visit starts without downloading it again and works without a connection. Registered
// by javascripts/engine-forms.mjs once the engine has loaded; it answers for nothing but the engine's files
// and the pages that were open with it. A new build (a changed engine.json) replaces the copy.

const CACHE = "wp-engine";
const ENGINE = new URL("assets/engine/", self.registration.scope);

async function keepEngine() {
  const cache = await caches.open(CACHE);
  const response = await fetch(new URL("engine.json", ENGINE));
  const manifest = await response.clone().json();
  await cache.put(new URL("engine.json", ENGINE), response);
  await cache.addAll(manifest.files.map((name) => new URL(name, ENGINE)));
}

// engine.json is asked of the network first: when it changed, the old engine is forgotten.
async function manifest(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    const before = await cache.match(request);
    if (before && (await before.text()) !== (await response.clone().text())) {
      await Promise.all((await cache.keys()).map((key) => cache.delete(key)));
    }
    await cache.put(request, response.clone());
    return response;
  } catch (offline) {
    return (await cache.match(request)) || Response.error();
  }
}

async function engineFile(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  if (kept) {
    return kept;
  }
  const response = await fetch(request);
  if (response.ok) {
    await cache.put(request, response.clone());
  }
  return response;
}

// A page is asked of the network first, and kept for when there is none.
async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (offline) {
    return (await cache.match(request, { ignoreSearch: true })) || Response.error();
  }
}

self.addEventListener("install", (event) => {
  self.skipWaiting();
  event.waitUntil(keepEngine().catch(() => {}));
});

// The page that ran the engine sends its own address and what it loaded (styles, scripts):
// kept too, so that it opens without a connection. The page is told on the port it sent
// whether they are kept: until then a reload with no connection finds no page.
self.addEventListener("message", (event) => {
  const wanted = (event.data && event.data.keep) || [];
  const same = wanted.filter((address) => new URL(address).origin === location.origin);
  const kept = caches.open(CACHE).then((cache) => cache.addAll(same)).then(() => true, () => false);
  event.waitUntil(kept.then((done) => event.ports[0]?.postMessage({ kept: done })));
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const address = new URL(request.url);
  if (request.method !== "GET" || address.origin !== location.origin) {
    return;
  }
  if (address.href.startsWith(ENGINE.href)) {
    event.respondWith(address.pathname.endsWith("/engine.json") ? manifest(request) : engineFile(request));
  } else if (request.mode === "navigate" || /\.(css|m?js)$/.test(address.pathname)) {
    event.respondWith(page(request));
  }
});
