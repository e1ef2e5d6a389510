/* Forget this device's copy of a survey once the server has it as submitted. */
(function () {
  "use strict";
  var marker = document.querySelector("[data-clear-survey]");
  if (marker) {
    try { localStorage.removeItem("nutera-survey-" + marker.dataset.clearSurvey); } catch (e) { /* ignore */ }
  }
})();
