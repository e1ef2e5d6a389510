// Poll a refresh job and reload the page when it is done (the work itself runs on the server).
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  var bar = document.getElementById("job-bar");
  var message = document.getElementById("job-message");
  function poll() {
    fetch(box.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (job) {
        bar.style.width = job.progress + "%";
        bar.textContent = job.progress + "%";
        message.textContent = job.message;
        if (job.done) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
