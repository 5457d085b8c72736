/* Kosmmos site snippet: keeps the click id (kid) of the last tracked-link visit in a first-party
 * cookie and reports registrations, purchases and custom events to the workspace's collect URL.
 *
 *   <script src=".../static/links/kosmmos-track.js" data-endpoint="https://…/t/c/<key>/" defer></script>
 *   kosmmos("registration");
 *   kosmmos("purchase", {amount: 1990, currency: "RUB", order_id: "1001"});
 *
 * No third-party requests, no fingerprinting. If Yandex.Metrica is on the page (window.ym and
 * data-metrica-counter), its ClientID is sent too, for the offline-conversions upload.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = script && script.getAttribute("data-endpoint");
  var counter = script && script.getAttribute("data-metrica-counter");
  var days = parseInt((script && script.getAttribute("data-days")) || "30", 10);
  var COOKIE = "kosmmos_kid";
  var KID = /^[0-9a-z]{32}$/;

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return "";
  }

  function keepKid() {
    var kid = "";
    try { kid = new URLSearchParams(window.location.search).get("kid") || ""; } catch (e) { kid = ""; }
    if (KID.test(kid)) {
      // Last click wins: a newer visit through a tracked link replaces the older click id.
      var secure = window.location.protocol === "https:" ? "; Secure" : "";
      document.cookie = COOKIE + "=" + kid + "; Max-Age=" + days * 86400 + "; Path=/; SameSite=Lax" + secure;
    }
  }

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function send(payload) {
    if (!endpoint) return;
    // text/plain keeps it a "simple" CORS request (no preflight); the server reads JSON anyway.
    var body = JSON.stringify(payload);
    try {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, mode: "cors", credentials: "omit",
        headers: { "Content-Type": "text/plain" } });
    } catch (e) {
      if (navigator.sendBeacon) navigator.sendBeacon(endpoint, body);
    }
  }

  function track(event, data) {
    data = data || {};
    var payload = {
      event: String(event || "custom"),
      event_id: String(data.order_id || data.event_id || uuid()),
      amount: data.amount === undefined ? 0 : data.amount,
      currency: data.currency || "RUB",
      kid: readCookie(COOKIE)
    };
    if (counter && typeof window.ym === "function") {
      window.ym(counter, "getClientID", function (clientId) { payload.ym_client_id = String(clientId); send(payload); });
    } else {
      send(payload);
    }
  }

  keepKid();
  var queued = (window.kosmmos && window.kosmmos.q) || [];
  window.kosmmos = track;
  for (var i = 0; i < queued.length; i++) track.apply(null, queued[i]);
})();
