/* The till (issue 16): goods first, the customer's payment code last.

   - Rows: the type shows the fields it needs (an appliance's barcode, a kind, a name), the kind
     list narrows to the row's category, 添加商品 adds a row without a round trip.
   - A goods barcode, scanned or typed, is looked up at once: brand, model, kind and grade, or
     不在目录中 (the page without this file shows the same on its next round trip).
   - Handheld scanners (keyboard wedge: fast keystrokes, then Enter) work in every code field:
     Enter in a goods barcode looks it up and moves to its price, Enter in the payment code
     confirms the sale.
   - The camera reads EAN-13, QR and Code 128 with the browser's BarcodeDetector where it has
     them, else with the vendored ZXing library (core/static/vendor, Apache-2.0), loaded only
     then; without a camera, or without permission, it says so and what to use instead.
   The server reads every code in canonical form (NFKC, spaces dropped, ASCII digits). */
(function () {
  "use strict";
  var form = document.getElementById("till-form");
  if (!form) return;
  var me = document.getElementById("till-js");
  var zxingUrl = me && me.getAttribute("data-zxing");
  var status = document.getElementById("scan-status");

  function say(text) {
    if (!status) return;
    status.textContent = text; status.hidden = !text;
  }

  /* ---- camera ---- */
  var video, stream, target, timer, zxingLoading;
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    var box = document.getElementById("scanner"); if (box) box.hidden = true;
  }
  function found(text) {
    if (!target) return;
    var field = target;
    field.value = String(text).trim(); stop();
    field.focus();
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
  }
  function loadZXing() {
    if (window.ZXing) return Promise.resolve(window.ZXing);
    if (!zxingLoading) {
      zxingLoading = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = zxingUrl;
        s.onload = function () { window.ZXing ? resolve(window.ZXing) : reject(new Error("zxing")); };
        s.onerror = function () { zxingLoading = null; reject(new Error("zxing")); };
        document.head.appendChild(s);
      });
    }
    return zxingLoading;
  }
  function nativeDetector(formats) {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    var supported = window.BarcodeDetector.getSupportedFormats
      ? window.BarcodeDetector.getSupportedFormats() : Promise.resolve([]);
    return supported.then(function (have) {
      var all = formats.every(function (f) { return have.indexOf(f) >= 0; });
      if (!all) return null;
      var d = new window.BarcodeDetector({ formats: formats });
      return function (source) {
        return d.detect(source).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }).catch(function () { return null; });
  }
  function zxingDecoder(formats) {
    return loadZXing().then(function (Z) {
      var names = { qr_code: Z.BarcodeFormat.QR_CODE, code_128: Z.BarcodeFormat.CODE_128,
                    ean_13: Z.BarcodeFormat.EAN_13 };
      var hints = new Map();
      hints.set(Z.DecodeHintType.POSSIBLE_FORMATS, formats.map(function (f) { return names[f]; }));
      hints.set(Z.DecodeHintType.TRY_HARDER, true);
      var reader = new Z.MultiFormatReader();
      reader.setHints(hints);
      var canvas = document.createElement("canvas");
      return function (source) {
        canvas.width = source.videoWidth; canvas.height = source.videoHeight;
        canvas.getContext("2d").drawImage(source, 0, 0);
        try {
          var bitmap = new Z.BinaryBitmap(new Z.HybridBinarizer(new Z.HTMLCanvasElementLuminanceSource(canvas)));
          return Promise.resolve(reader.decodeWithState(bitmap).getText());
        } catch (e) { return Promise.resolve(null); } /* nothing in this frame */
      };
    });
  }
  function cameraProblem(err) {
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "没有获得摄像头权限：请在浏览器设置里允许本网站使用摄像头，或用扫码枪、手动输入";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return "这台设备没有可用的摄像头：请用扫码枪扫描，或手动输入";
    }
    if (name === "NotReadableError") {
      return "摄像头正被其他程序占用：请关闭其他程序后重试，或用扫码枪、手动输入";
    }
    return "摄像头无法打开：请用扫码枪扫描，或手动输入";
  }
  function scan(input, formats) {
    target = input;
    say("");
    var box = document.getElementById("scanner"), msg = document.getElementById("scanner-msg");
    video = document.getElementById("scanner-video");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(window.isSecureContext === false
        ? "摄像头只能在 https 地址下使用：请用扫码枪扫描，或手动输入"
        : "此浏览器不能使用摄像头：请用扫码枪扫描，或手动输入");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s; video.srcObject = s; box.hidden = false; msg.textContent = "正在识别…";
      video.play();
      return nativeDetector(formats).then(function (d) { return d || zxingDecoder(formats); });
    }).then(function (decode) {
      if (!decode) return;
      var busy = false;
      timer = setInterval(function () {
        if (busy || !stream || video.readyState < 2) return;
        busy = true;
        decode(video).then(function (text) { busy = false; if (text) found(text); },
                           function () { busy = false; });
      }, 200);
    }).catch(function (err) {
      stop();
      say(err && err.message === "zxing" ? "扫码组件加载失败：请用扫码枪扫描，或手动输入"
                                         : cameraProblem(err));
    });
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

  /* ---- rows ---- */
  var kindOptions = document.getElementById("kind-options");
  function modeOf(row) {
    var v = row.querySelector("select[name^=mode_]").value;
    return v.indexOf("kind") === 0 ? "kind" : v;
  }
  function narrowKinds(row) {
    var select = row.querySelector("select[name^=kind_]"), mode = row.querySelector("select[name^=mode_]").value;
    if (!select || !kindOptions) return;
    var cat = mode.indexOf("kind:") === 0 ? mode.slice(5) : "", keep = select.value;
    select.innerHTML = "";
    Array.prototype.forEach.call(kindOptions.content.children, function (o) {
      if (!o.value || !cat || o.getAttribute("data-cat") === cat) select.appendChild(o.cloneNode(true));
    });
    select.value = keep;
    if (select.value !== keep) select.value = "";
  }
  function showMode(row) {
    var mode = modeOf(row);
    row.querySelectorAll("[data-mode]").forEach(function (el) {
      el.hidden = el.getAttribute("data-mode").split(" ").indexOf(mode) < 0;
    });
    narrowKinds(row);
  }
  function setUp(row) {
    showMode(row);
    row.querySelector("select[name^=mode_]").addEventListener("change", function () { showMode(row); });
  }
  document.querySelectorAll("fieldset.line").forEach(setUp);

  var rowsBox = document.getElementById("rows"), add = document.getElementById("add-row");
  if (add && rowsBox) {
    add.addEventListener("click", function (e) {
      e.preventDefault();
      var rows = rowsBox.querySelectorAll("fieldset.line");
      if (rows.length >= 50) return;
      var n = rows.length + 1, row = rows[0].cloneNode(true);
      row.setAttribute("data-row", String(n));
      row.querySelector("legend").textContent = "商品 " + n;
      row.querySelectorAll("[id],[for],[name],[data-scan],[aria-describedby]").forEach(function (el) {
        ["id", "for", "name", "data-scan", "aria-describedby"].forEach(function (a) {
          var v = el.getAttribute(a);
          if (v) el.setAttribute(a, v.replace(/_\d+$/, "_" + n));
        });
      });
      row.querySelectorAll("input").forEach(function (i) {
        i.value = i.name.indexOf("qty_") === 0 ? "1" : ""; i.removeAttribute("data-looked");
      });
      var first = rows[0].querySelector("select[name^=mode_]");
      row.querySelector("select[name^=mode_]").value = first.options[0].value;
      var goods = row.querySelector("p.goods"); goods.textContent = ""; goods.className = "goods";
      rowsBox.appendChild(row);
      setUp(row);
      var focus = row.querySelector(modeOf(row) === "gtin" ? "input[name^=gtin_]" : "select[name^=kind_]");
      if (focus) focus.focus();
    });
  }

  /* ---- goods look-up ---- */
  var goodsUrl = form.getAttribute("data-goods-url");
  function showGoods(input, g) {
    var p = document.getElementById(input.getAttribute("aria-describedby"));
    if (!p) return;
    p.className = "goods " + (g.eligible ? "ok" : "bad");
    p.textContent = "";
    if (g.found) {
      var b = document.createElement("b"); b.textContent = g.brand + " " + g.model;
      p.appendChild(b);
      p.appendChild(document.createTextNode(" · " + g.category + " · " + g.kind + " · " + g.label + " " + g.grade + " 级"));
      p.appendChild(document.createElement("br"));
    }
    p.appendChild(document.createTextNode(g.message));
  }
  function lookUp(input) {
    var code = input.value.trim();
    if (!code || input.getAttribute("data-looked") === code) return Promise.resolve();
    input.setAttribute("data-looked", code);
    return fetch(goodsUrl + "?gtin=" + encodeURIComponent(code), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (g) { if (input.value.trim() === code) showGoods(input, g); })
      .catch(function () { input.removeAttribute("data-looked"); });
  }
  form.addEventListener("input", function (e) {
    var input = e.target;
    if (input.hasAttribute && input.hasAttribute("data-goods")) {
      var digits = input.value.replace(/\D/g, "");
      if (digits.length === 13) lookUp(input);
    }
  });
  form.addEventListener("change", function (e) {
    if (e.target.hasAttribute && e.target.hasAttribute("data-goods")) lookUp(e.target);
  });

  /* ---- Enter: what a scanner's Enter (or a person's) means in each field ---- */
  form.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing) return;
    var el = e.target;
    if (el.id === "payment_code") {
      e.preventDefault();
      if (el.value.trim()) { var ok = document.getElementById("confirm"); if (ok) ok.click(); }
      return;
    }
    if (el.hasAttribute && el.hasAttribute("data-goods")) {
      e.preventDefault();
      var row = el.closest("fieldset.line");
      lookUp(el);
      var price = row && row.querySelector("input[name^=price_]");
      if (price && el.value.trim()) price.focus();
      return;
    }
    if (el.tagName === "INPUT" && el.closest("fieldset.line")) {
      e.preventDefault();  /* not 添加商品: Enter in a price means "done": compute */
      var compute = document.getElementById("compute"); if (compute) compute.click();
    }
  });
})();
