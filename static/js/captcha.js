// "Gambar lain": ask the server for a new captcha picture (the old one stops working).
(function () {
  "use strict";
  document.querySelectorAll("[data-captcha]").forEach(function (box) {
    var button = box.querySelector("[data-captcha-redraw]");
    var message = box.querySelector("[data-captcha-message]");
    var form = box.closest("form");
    var token = form && form.querySelector("input[name=csrf_token]");
    if (!button || !token) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      message.hidden = true;
      fetch(box.dataset.captchaUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token.value, Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (result) {
          if (!result.ok || !result.body.image) {
            throw new Error(result.body.error || "");
          }
          var image = box.querySelector("[data-captcha-image]");
          if (!image) {
            image = document.createElement("img");
            image.setAttribute("data-captcha-image", "");
            image.alt = "Kode pengaman";
            image.width = 200;
            image.height = 70;
            image.className = "d-block mb-2 border rounded";
            box.insertBefore(image, button);
          }
          image.src = result.body.image;
          var input = box.querySelector("input[name=captcha]");
          input.value = "";
          input.focus();
        })
        .catch(function (error) {
          message.textContent =
            error.message || "Gambar baru belum dapat dimuat. Periksa sambungan lalu coba lagi.";
          message.hidden = false;
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  });
})();
