// Drag a post card to another day: POST the day to the post's reschedule URL, then reload the
// calendar in place. The server validates and records the history; on refusal the card stays.
(function () {
  "use strict";
  var dragged = null;
  var alertBox = document.getElementById("calendar-alert");

  function csrf() {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"] || "";
  }

  function say(text, ok) {
    if (!alertBox) return;
    alertBox.className = "alert py-2 small " + (ok ? "alert-success" : "alert-danger");
    alertBox.textContent = text;
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-post]");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.post);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  });

  document.addEventListener("dragover", function (event) {
    var day = dragged && event.target.closest && event.target.closest("[data-day]");
    if (!day) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    day.classList.add("drop-target");
  });

  document.addEventListener("dragleave", function (event) {
    var day = event.target.closest && event.target.closest("[data-day]");
    if (day && !day.contains(event.relatedTarget)) day.classList.remove("drop-target");
  });

  document.addEventListener("drop", function (event) {
    var day = dragged && event.target.closest && event.target.closest("[data-day]");
    if (!day) return;
    event.preventDefault();
    day.classList.remove("drop-target");
    var card = dragged;
    var body = new FormData();
    body.append("date", day.dataset.day);
    fetch(card.dataset.reschedule, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (result) {
      if (!result.ok) { say(result.data.error || "Error", false); return; }
      say(result.data.message, true);
      if (window.htmx) {
        htmx.ajax("GET", window.location.href, {target: "#calendar", select: "#calendar", swap: "outerHTML"});
      } else {
        window.location.reload();
      }
    }).catch(function () { say(card.dataset.error || "Network error", false); });
  });
})();
