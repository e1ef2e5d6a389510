// Ask before submitting a form marked data-confirm="question" (instead of an inline onsubmit).
(function () {
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
