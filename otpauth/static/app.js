// Counts the code's lifetime down on the verify page. Loaded as a file: the CSP allows
// no inline scripts. Without JavaScript the page still shows the time left at load.
(function () {
  "use strict";
  function start(el) {
    var end = Date.now() + parseInt(el.getAttribute("data-seconds"), 10) * 1000;
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left === 0) {
        el.textContent = "0:00 (expired: ask for a new code)";
        return;
      }
      setTimeout(tick, 1000);
    }
    tick();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("time.countdown[data-seconds]").forEach(start);
  });
})();
