// Live progress of a distribution event: polls the JSON endpoint and updates the bar.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var format = new Intl.NumberFormat("id-ID");

  function show(data) {
    box.querySelector('[data-progress="received"]').textContent = format.format(data.received);
    box.querySelector('[data-progress="total"]').textContent = format.format(data.total);
    box.querySelector('[data-progress="percent"]').textContent = data.percent;
    box.querySelector('[data-progress="bar"]').style.width = data.percent + "%";
    box.querySelector('[role="progressbar"]').setAttribute("aria-valuenow", data.percent);
  }

  function poll() {
    fetch(box.dataset.progressUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* offline: the next poll tries again */ });
  }

  window.NuteraProgress = {show: show, poll: poll};
  setInterval(function () { if (!document.hidden) { poll(); } }, 5000);
})();
