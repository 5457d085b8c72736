/* Date fields in the page's language.
 *
 * Chromium draws <input type=date|month|datetime-local> in the browser's locale, not the page's:
 * a Russian page shows "12/05/2026" on an English browser and "05.12.2026" on a Russian one, never
 * a month's name. On a Russian page each such field gets a line under it with its value written
 * in Russian ("5 декабря 2026 г.", "декабрь 2026 г.", "5 декабря 2026 г., 10:00"), kept up to date
 * as the value changes. The field itself and what it sends stay as they are (ISO), so a form
 * keeps what was typed and the server parses one format.
 */
(function () {
  "use strict";
  var KINDS = {
    date: { day: "numeric", month: "long", year: "numeric" },
    month: { month: "long", year: "numeric" },
    "datetime-local": { day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" }
  };

  function pageLanguage() {
    return (document.documentElement.lang || "").toLowerCase();
  }

  function parse(kind, value) {
    // The parts by hand: new Date("2026-12-05") is midnight UTC, the day before west of Greenwich.
    var m = /^(\d{4})-(\d{2})(?:-(\d{2}))?(?:T(\d{2}):(\d{2}))?/.exec(value || "");
    if (!m) { return null; }
    return new Date(+m[1], +m[2] - 1, m[3] ? +m[3] : 1, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0);
  }

  function describe(input) {
    var kind = input.type;
    var when = parse(kind, input.value);
    if (!when) { return ""; }
    return new Intl.DateTimeFormat(pageLanguage(), KINDS[kind]).format(when);
  }

  function enhance(input) {
    if (input.dataset.kmDate || !KINDS[input.type]) { return; }
    input.dataset.kmDate = "1";
    var shown = document.createElement("span");
    shown.className = "km-date-text d-block small km-muted";
    shown.setAttribute("aria-live", "polite");
    if (input.id) { shown.id = input.id + "-text"; }
    var update = function () { shown.textContent = describe(input); };
    input.addEventListener("input", update);
    input.addEventListener("change", update);
    input.insertAdjacentElement("afterend", shown);
    update();
  }

  function enhanceAll(root) {
    // English pages read well enough in the browser's own numeric format.
    if (pageLanguage().split("-")[0] !== "ru" || !window.Intl) { return; }
    root.querySelectorAll("input[type=date], input[type=month], input[type=datetime-local]")
      .forEach(enhance);
  }

  document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  // Fields that htmx brings in later (a swapped form) are written out too.
  document.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
})();
