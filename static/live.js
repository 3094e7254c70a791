// Keeps a server-rendered page live: listens to /api/v1/events?page=..., and swaps in the HTML
// fragments the server rendered, by element id. No markup is built here. EventSource reconnects
// by itself and sends Last-Event-ID, so the server replays what was missed; a "reset" event
// (the replay window passed, or this page fell behind) reloads the page.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-events");
  if (!url || !window.EventSource) { return; }
  var status = document.getElementById("live-status");

  function setStatus(on) {
    if (!status) { return; }
    status.textContent = status.getAttribute(on ? "data-on" : "data-off");
    status.className = "badge " + (on ? "on" : "muted");
  }

  function apply(fragment) {
    var el = document.getElementById(fragment.id);
    if (el) {
      el.outerHTML = fragment.html;
    } else if (fragment.into && fragment.html) {
      var parent = document.getElementById(fragment.into);
      if (parent) { parent.insertAdjacentHTML("afterbegin", fragment.html); }
    }
  }

  var source = new EventSource(url);
  source.onopen = function () { setStatus(true); };
  source.onerror = function () { setStatus(false); };
  source.addEventListener("fragments", function (e) {
    var payload = JSON.parse(e.data);
    payload.fragments.forEach(apply);
    document.body.setAttribute("data-last-event", e.lastEventId);
  });
  source.addEventListener("reset", function () { window.location.reload(); });
})();
