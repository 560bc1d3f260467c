/* A "Copy link" button beside a link with data-copy-source="<id of the element holding it>".
   Progressive enhancement: the button is hidden until this runs, and without JavaScript (or a
   clipboard) the link stays on the page as plain text to select and copy by hand. What it says
   comes from the page, in its language: data-done and data-failed on the status element. */
(function () {
  "use strict";
  function attach(button) {
    var source = document.getElementById(button.getAttribute("data-copy-source"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        if (status) {
          status.textContent = status.getAttribute("data-done") ||
            "Copied. Paste it into a message or your class page.";
        }
      }, function () {
        if (status) {
          status.textContent = status.getAttribute("data-failed") ||
            "Could not copy: select the link and copy it by hand.";
        }
      });
    });
  }
  var buttons = document.querySelectorAll("button[data-copy-source]");
  for (var i = 0; i < buttons.length; i++) { attach(buttons[i]); }
})();
