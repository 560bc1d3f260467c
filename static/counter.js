/* A live "characters left" line under a text box with maxlength and data-counter="<id>".
   Progressive enhancement: without JavaScript the box still stops at maxlength and the hint
   under it says the limit; this only shows how much room is left while typing. The line's
   words come from the page, in its language: data-one ("1 character left") and data-many
   ("{n} characters left") on the line's own element. */
(function () {
  "use strict";
  function attach(box) {
    var out = document.getElementById(box.getAttribute("data-counter"));
    var max = parseInt(box.getAttribute("maxlength"), 10);
    if (!out || !max) { return; }
    var one = out.getAttribute("data-one") || "1 character left";
    var many = out.getAttribute("data-many") || "{n} characters left";
    function update() {
      var left = max - box.value.length;
      out.textContent = left === 1 ? one : many.replace("{n}", String(left));
      out.classList.toggle("near", left <= Math.min(50, max / 10));
    }
    out.hidden = false;
    box.addEventListener("input", update);
    update();
  }
  var boxes = document.querySelectorAll("textarea[data-counter][maxlength]");
  for (var i = 0; i < boxes.length; i++) { attach(boxes[i]); }
})();
