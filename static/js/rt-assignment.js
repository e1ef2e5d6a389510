// "Pilih seluruh RW" ticks or clears every RT of that RW; it follows the RTs ticked by hand.
document.querySelectorAll("[data-rw-group]").forEach(function (group) {
  var all = group.querySelector("[data-rw-all]");
  var rts = Array.prototype.slice.call(group.querySelectorAll("[data-rt]"));
  function follow() {
    var ticked = rts.filter(function (box) { return box.checked; }).length;
    all.checked = rts.length > 0 && ticked === rts.length;
    all.indeterminate = ticked > 0 && ticked < rts.length;
  }
  all.addEventListener("change", function () {
    rts.forEach(function (box) { box.checked = all.checked; });
    all.indeterminate = false;
  });
  rts.forEach(function (box) { box.addEventListener("change", follow); });
  follow();
});
