// Gives the ALTCHA widget the page's language. Its texts are translated on the server and
// carried in data-strings; they are registered under <html lang>, which the widget reads,
// on top of its English ones (so a text we do not translate stays readable).
const widget = document.querySelector("altcha-widget[data-strings]");
const lang = document.documentElement.lang;
if (widget && globalThis.$altcha && lang && lang !== "en") {
  const english = globalThis.$altcha.i18n.get("en") || {};
  const ours = JSON.parse(widget.getAttribute("data-strings"));
  globalThis.$altcha.i18n.set(lang, Object.assign({}, english, ours));
}
