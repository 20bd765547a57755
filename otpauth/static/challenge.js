// Registers the vendored PBKDF2 worker with the ALTCHA widget. The widget's external build
// ships no worker of its own (the bundled one would start from a blob: URL, which the CSP
// refuses); this one is a file of ours, allowed by script-src 'self'.
const widget = document.querySelector("altcha-widget[data-worker]");
if (widget && globalThis.$altcha) {
  const url = widget.getAttribute("data-worker");
  globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", () => new Worker(url));
}
