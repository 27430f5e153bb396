/* The till: scan the consumer's payment code (QR, or its 18-digit Code 128 barcode) or an
   appliance's EAN-13 with the camera, and show the running total. The forms work without this
   file; it only saves typing. BarcodeDetector where the browser has it (QR, Code 128, EAN-13),
   else jsQR (QR only, Apache-2.0). The server reads the code in its canonical form (NFKC,
   spaces dropped, ASCII digits), so a scanner's or a person's spacing does not matter. */
(function () {
  "use strict";
  var video, stream, target, timer;
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    var box = document.getElementById("scanner"); if (box) box.hidden = true;
  }
  function found(text) {
    if (!target) return;
    target.value = text.trim(); stop();
    target.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function scan(input, formats) {
    target = input;
    var box = document.getElementById("scanner"), canvas = document.createElement("canvas");
    video = document.getElementById("scanner-video");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      alert("此浏览器无法使用摄像头：请用扫码枪或手动输入"); return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s; video.srcObject = s; box.hidden = false; video.play();
      var detector = ("BarcodeDetector" in window) ? new window.BarcodeDetector({ formats: formats }) : null;
      timer = setInterval(function () {
        if (video.readyState < 2) return;
        if (detector) {
          detector.detect(video).then(function (codes) { if (codes.length) found(codes[0].rawValue); });
          return;
        }
        if (!window.jsQR || formats.indexOf("qr_code") < 0) return;
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        var ctx = canvas.getContext("2d"); ctx.drawImage(video, 0, 0);
        var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(img.data, img.width, img.height);
        if (code) found(code.data);
      }, 250);
    }).catch(function () { alert("没有获得摄像头权限：请用扫码枪或手动输入"); });
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-scan]");
    if (btn) {
      e.preventDefault();
      scan(document.getElementById(btn.getAttribute("data-scan")),
           btn.getAttribute("data-formats").split(","));
    }
    if (e.target.closest("#scanner-close")) { e.preventDefault(); stop(); }
  });
  function showMode(row) {
    var mode = row.querySelector("select[name^=mode_]").value;
    row.querySelectorAll("[data-mode]").forEach(function (el) {
      el.hidden = el.getAttribute("data-mode").split(" ").indexOf(mode) < 0;
    });
  }
  document.querySelectorAll("tr.line").forEach(function (row) {
    showMode(row);
    row.querySelector("select[name^=mode_]").addEventListener("change", function () { showMode(row); });
  });
})();
