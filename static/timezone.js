// Preselect the browser's own time zone on a new game's form, but only while the field still
// holds the server's default: never over what the facilitator typed or the browser restored.
// Without JavaScript the field keeps its default and the form works the same.
document.addEventListener("DOMContentLoaded", function () {
  var input = document.querySelector("[data-browser-zone] input[list='time-zones']");
  if (!input || input.value !== input.defaultValue) return;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) return;
  var known = document.querySelector("#time-zones option[value='" + zone.replace(/'/g, "") + "']");
  if (known) input.value = zone;
});
