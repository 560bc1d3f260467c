/* "Use this idea" (a link with data-idea-box="<id of a text box>" and data-idea-text): puts the
   idea into the box on the page instead of reloading it, so a half-written note is not lost;
   with something already typed, it asks first (data-idea-replace, in the page's language).
   Progressive enhancement: without JavaScript the link reloads the page with the idea in the
   box, as before. */
(function () {
  "use strict";
  function attach(link) {
    var box = document.getElementById(link.getAttribute("data-idea-box"));
    if (!box) { return; }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var typed = box.value.trim();
      var idea = link.getAttribute("data-idea-text") || "";
      if (typed && typed !== idea && !window.confirm(link.getAttribute("data-idea-replace"))) {
        return;
      }
      box.value = idea;
      box.dispatchEvent(new Event("input"));
      box.focus();
    });
  }
  var links = document.querySelectorAll("a[data-idea-box]");
  for (var i = 0; i < links.length; i++) { attach(links[i]); }
})();
