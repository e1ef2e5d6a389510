// Find a recipient by the QR code of the invitation: live camera (secure origins) or a photo.
(function () {
  "use strict";
  var section = document.getElementById("scanner");
  if (!section || typeof jsQR !== "function") { return; }
  var video = section.querySelector("[data-scan-video]");
  var error = section.querySelector("[data-scan-error]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", {willReadFrequently: true});

  function go(token) {
    window.location.href = section.dataset.captureUrl + "?token=" + encodeURIComponent(token);
  }

  function decode(source, width, height) {
    var scale = Math.min(1, 1024 / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    var pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = jsQR(pixels.data, pixels.width, pixels.height);
    return code ? code.data : null;
  }

  section.querySelector("[data-scan-start]").addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      error.textContent = "Kamera langsung tidak tersedia di sini; gunakan foto kode QR.";
      return;
    }
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
      video.srcObject = stream;
      video.classList.remove("d-none");
      video.play();
      function tick() {
        if (video.readyState >= 2) {
          var token = decode(video, video.videoWidth, video.videoHeight);
          if (token) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            go(token);
            return;
          }
        }
        requestAnimationFrame(tick);
      }
      requestAnimationFrame(tick);
    }).catch(function () {
      error.textContent = "Kamera tidak dapat dibuka; gunakan foto kode QR.";
    });
  });

  section.querySelector("[data-scan-photo]").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) { return; }
    var image = new Image();
    image.onload = function () {
      var token = decode(image, image.naturalWidth, image.naturalHeight);
      URL.revokeObjectURL(image.src);
      if (token) { go(token); } else { error.textContent = "Kode QR tidak terbaca. Foto lebih dekat dan terang."; }
    };
    image.onerror = function () { error.textContent = "Berkas bukan gambar."; };
    image.src = URL.createObjectURL(file);
  });
})();
