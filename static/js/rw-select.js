// "Seluruh RW" ticks or clears every RT of that RW, and follows the RT boxes.
(function () {
  "use strict";
  document.querySelectorAll("[data-rw-group]").forEach(function (group) {
    var all = group.querySelector("[data-rw-all]");
    var boxes = group.querySelectorAll('input[name="rt_ids"]');
    function sync() {
      var ticked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
    });
    boxes.forEach(function (b) { b.addEventListener("change", sync); });
    sync();
  });
})();
