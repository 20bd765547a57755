// WebOTP: where the browser has it (Chrome on Android), fill the code from the SMS that
// ends with "@host #code" once the customer allows it, and send the form. Elsewhere,
// nothing happens and the customer types the code.
(function () {
  "use strict";
  if (!("OTPCredential" in window) || !navigator.credentials) return;
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.querySelector("input[autocomplete=one-time-code]");
    if (!input || !input.form) return;
    var abort = new AbortController();
    input.form.addEventListener("submit", function () { abort.abort(); });
    navigator.credentials
      .get({ otp: { transport: ["sms"] }, signal: abort.signal })
      .then(function (otp) {
        if (!otp || !otp.code) return;
        input.value = otp.code;
        input.form.requestSubmit ? input.form.requestSubmit() : input.form.submit();
      })
      .catch(function () { /* dismissed, timed out or aborted: the customer types it */ });
  });
})();
