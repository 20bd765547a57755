// Passkeys (WebAuthn) with the browser's own API; loaded as a file (the CSP allows no inline
// script). Every passkey control is rendered `hidden` and shown here only where the browser
// has WebAuthn: without JavaScript or WebAuthn the pages work as before, with codes.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toB64(buffer) {
    var bytes = new Uint8Array(buffer), text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromB64(text) {
    var plain = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(plain, function (c) { return c.charCodeAt(0); }).buffer;
  }

  // Options JSON (py_webauthn's options_to_json) -> the objects the API takes.
  function decode(json, creating) {
    var PKC = window.PublicKeyCredential;
    if (creating && PKC.parseCreationOptionsFromJSON) return PKC.parseCreationOptionsFromJSON(json);
    if (!creating && PKC.parseRequestOptionsFromJSON) return PKC.parseRequestOptionsFromJSON(json);
    json.challenge = fromB64(json.challenge);
    if (json.user) json.user.id = fromB64(json.user.id);
    (json.excludeCredentials || json.allowCredentials || []).forEach(function (c) {
      c.id = fromB64(c.id);
    });
    return json;
  }

  // The credential -> JSON for the server (WebAuthn Level 3's toJSON where the browser has it).
  function encode(cred) {
    if (cred.toJSON) return cred.toJSON();
    var r = cred.response, out = {
      id: cred.id, rawId: toB64(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment, clientExtensionResults: {},
      response: { clientDataJSON: toB64(r.clientDataJSON) },
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64(r.authenticatorData);
      out.response.signature = toB64(r.signature);
      if (r.userHandle) out.response.userHandle = toB64(r.userHandle);
    }
    return out;
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw { server: data.error };
        return data;
      });
    });
  }

  function say(box, text) {
    var status = box.querySelector("[role=status]");
    if (status) status.textContent = text;
  }

  // Sign-in: the button, and the browser's autofill on the contact field (conditional
  // mediation). Only one WebAuthn request may be pending (Chromium: "A request is already
  // pending"), so the autofill request is aborted before the button's starts.
  function signIn(box) {
    var pending = null;
    function run(mediation) {
      if (pending) pending.abort();
      var control = new AbortController();
      pending = control;
      var options = { signal: control.signal };
      if (mediation) options.mediation = mediation;
      return post(box.dataset.options, box.dataset.csrf)
        .then(function (json) {
          options.publicKey = decode(json, false);
          box.setAttribute("data-waiting", mediation || "button"); // for people's tools and tests
          return navigator.credentials.get(options);
        })
        .then(function (cred) { return post(box.dataset.verify, box.dataset.csrf, encode(cred)); })
        .then(function (data) { window.location.assign(data.redirect); })
        .catch(function (error) {
          if (control.signal.aborted) return;
          if (mediation !== "conditional") say(box, (error && error.server) || box.dataset.failed);
        });
    }
    var button = box.querySelector("button");
    button.addEventListener("click", function () { say(box, ""); run(null); });
    box.hidden = false;
    var PKC = window.PublicKeyCredential;
    // Autofill only where a field asks for it (the request page's contact field).
    var field = document.querySelector("input[autocomplete~=webauthn]");
    if (field && PKC.isConditionalMediationAvailable) {
      PKC.isConditionalMediationAvailable().then(function (yes) { if (yes) run("conditional"); });
    }
  }

  // Registration: asks for options, creates the credential, sends it, then goes on.
  function create(box) {
    var button = box.querySelector("button[data-create]") || box.querySelector("button");
    button.addEventListener("click", function () {
      say(box, "");
      button.disabled = true;
      post(box.dataset.options, box.dataset.csrf)
        .then(function (json) { return navigator.credentials.create({ publicKey: decode(json, true) }); })
        .then(function (cred) { return post(box.dataset.register, box.dataset.csrf, encode(cred)); })
        .then(function () { window.location.assign(box.dataset.done); })
        .catch(function (error) {
          button.disabled = false;
          say(box, (error && error.server) || box.dataset.failed);
        });
    });
    box.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-passkey-signin]").forEach(signIn);
    document.querySelectorAll("[data-passkey-create]").forEach(create);
  });
})();
