// Photos are made smaller on the device as soon as they are attached: a JPEG of at most
// 1280 px on its longest side at quality 0.7 (a 3-8 MB camera photo becomes ~100-200 KB), so
// a day of surveys syncs over 3G in minutes. The original is kept when it is already smaller
// (or when this browser cannot shrink). EXIF orientation is applied before drawing, so the
// shrunk photo stands the right way up without its EXIF. The server decodes and re-encodes
// every upload anyway: what the device sends is only ever checked, never trusted.
(function (root) {
  "use strict";
  var MAX_EDGE = 1280, QUALITY = 0.7;
  var pending = typeof WeakMap === "function" ? new WeakMap() : null;

  // A bitmap with EXIF orientation applied: createImageBitmap where it takes options,
  // else an <img> (browsers apply EXIF orientation to images by default).
  function decode(file) {
    if (root.createImageBitmap) {
      return root.createImageBitmap(file, {imageOrientation: "from-image"}).catch(function () {
        return decodeWithImage(file);
      });
    }
    return decodeWithImage(file);
  }

  function decodeWithImage(file) {
    return new Promise(function (resolve, reject) {
      if (!root.URL || !root.Image) { reject(new Error("no image decoder")); return; }
      var url = root.URL.createObjectURL(file), image = new root.Image();
      image.onload = function () { resolve(image); };
      image.onerror = function () { reject(new Error("not an image")); };
      image.src = url;
    }).then(function (image) {
      root.URL.revokeObjectURL(image.src);
      return image;
    });
  }

  function toJpeg(canvas) {
    return new Promise(function (resolve) {
      if (canvas.toBlob) { canvas.toBlob(resolve, "image/jpeg", QUALITY); return; }
      resolve(null);
    });
  }

  // Resolves to the Blob to keep and send: the shrunk JPEG, or the original file.
  function shrink(file) {
    if (!file || !/^image\//.test(file.type || "image/") || !root.document) {
      return Promise.resolve(file);
    }
    return decode(file).then(function (bitmap) {
      var width = bitmap.naturalWidth || bitmap.width, height = bitmap.naturalHeight || bitmap.height;
      var scale = Math.min(1, MAX_EDGE / Math.max(width, height));
      var canvas = root.document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // a transparent PNG gets a white, not black, background
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return toJpeg(canvas);
    }).then(function (blob) {
      if (!blob || blob.size >= file.size) { return file; }
      var name = (file.name || "foto").replace(/\.[^.]*$/, "") + ".jpg";
      try {
        return new root.File([blob], name, {type: "image/jpeg", lastModified: Date.now()});
      } catch (e) {
        return blob;  // no File constructor (old browsers): a Blob does as well
      }
    }).catch(function () { return file; });
  }

  // The photo of a file input, shrunk (the same promise for every caller).
  function of(input) {
    var file = input && input.files && input.files[0];
    if (!file) { return Promise.resolve(null); }
    var known = pending && pending.get(input);
    if (known && known.source === file) { return known.promise; }
    var promise = shrink(file);
    if (pending) { pending.set(input, {source: file, promise: promise}); }
    return promise;
  }

  // Swap the input's file for the shrunk one, so an ordinary form post sends it too.
  // Where DataTransfer cannot be built (older Safari), the form sends the original, which
  // the server shrinks itself.
  function replaceFile(input, original, shrunk) {
    if (!shrunk || shrunk === original || !root.DataTransfer || !(shrunk instanceof root.File)) { return; }
    try {
      var transfer = new root.DataTransfer();
      transfer.items.add(shrunk);
      input.files = transfer.files;
      if (pending) { pending.set(input, {source: input.files[0], promise: Promise.resolve(input.files[0])}); }
    } catch (e) { /* the original stays */ }
  }

  // Every photo input marked data-shrink-photo is shrunk when a photo is attached; its form's
  // submit buttons wait (disabled) until the smaller photo is in place.
  function bind(input) {
    input.addEventListener("change", function () {
      var original = input.files && input.files[0];
      if (!original) { return; }
      var buttons = input.form ? input.form.querySelectorAll("button[type=submit]") : [];
      var status = root.document.querySelector('[data-photo-status="' + input.id + '"]');
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      if (status) { status.textContent = "Memperkecil foto…"; }
      of(input).then(function (shrunk) {
        if (input.files && input.files[0] === original) { replaceFile(input, original, shrunk); }
        if (status) {
          status.textContent = shrunk && shrunk.size ? "Foto siap (" + Math.max(1, Math.round(shrunk.size / 1024)) + " KB)." : "";
        }
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
        input.dispatchEvent(new CustomEvent("nutera:photo-ready", {bubbles: true}));
      });
    });
  }

  if (root.document) {
    root.document.querySelectorAll("input[type=file][data-shrink-photo]").forEach(bind);
  }
  root.NuteraPhoto = {shrink: shrink, of: of, MAX_EDGE: MAX_EDGE, QUALITY: QUALITY};
})(window);
