// The verify page's clocks, loaded as a file (the CSP allows no inline scripts). Without
// JavaScript the page still works: it shows the time left at load, and a resend asked for
// too early answers with the wait in words.
(function () {
  "use strict";

  function clock(seconds) {
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  // Calls tick(secondsLeft) now and every second until zero (inclusive).
  function countDown(seconds, tick) {
    var end = Date.now() + seconds * 1000;
    function step() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      tick(left);
      if (left > 0) setTimeout(step, 1000);
    }
    step();
  }

  // The code's lifetime: m:ss, then the (translated) expired text.
  function expiry(el) {
    countDown(parseInt(el.getAttribute("data-seconds"), 10) || 0, function (left) {
      el.textContent = left > 0 ? clock(left) : el.getAttribute("data-expired");
    });
  }

  // The resend button: disabled while the cooldown runs, the wait said beside it.
  function resend(button) {
    var wait = parseInt(button.getAttribute("data-wait"), 10) || 0;
    var note = document.getElementById("resend-wait");
    if (wait <= 0) return;
    countDown(wait, function (left) {
      button.disabled = left > 0;
      if (!note) return;
      if (left === 0) note.textContent = "";
      else if (left === 1) note.textContent = note.getAttribute("data-one");
      else note.textContent = note.getAttribute("data-other").replace("{n}", String(left));
    });
  }

  // A pasted code may carry spaces or dashes ("123 456", "123-456"): keep the digits.
  function cleanPaste(input) {
    input.addEventListener("paste", function (event) {
      var text = (event.clipboardData || window.clipboardData).getData("text");
      var digits = text.replace(/[\s\-\u2010-\u2015\u2212]/g, "");
      if (/^\d+$/.test(digits)) {
        event.preventDefault();
        input.value = digits;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("time.countdown[data-seconds]").forEach(expiry);
    document.querySelectorAll("button[data-wait]").forEach(resend);
    document.querySelectorAll("input[autocomplete=one-time-code]").forEach(cleanPaste);
  });
})();
