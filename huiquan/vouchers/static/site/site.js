// The campaign page: countdown to the server's time, location asked early and reused at the tap,
// the live count, the rotating payment code with its countdown, the till's confirmation, and
// the shops' distances. No inline script (CSP); every text the page shows is Chinese.
(function () {
  "use strict";
  var body = document.body;
  var serverNow = Date.parse(body.dataset.serverTime);
  var offset = isNaN(serverNow) ? 0 : serverNow - Date.now();  // server clock minus phone clock
  function now() { return Date.now() + offset; }
  function $(id) { return document.getElementById(id); }
  function visible() { return document.visibilityState !== "hidden"; }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });
  }

  // --- countdown to the next release ------------------------------------------------------
  var cd = $("countdown");
  if (cd) {
    var target = Date.parse(cd.dataset.target);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var tick = function () {
      var left = Math.max(0, Math.floor((target - now()) / 1000));
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      cd.textContent = (d ? d + " 天 " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
      if (left === 0) { window.location.reload(); return; }
      if (left === 90) { refreshFixQuietly(); }  // a fresh fix just before the rush
      window.setTimeout(tick, 1000);
    };
    tick();
  }

  // --- location: asked during the countdown, reused at the tap ----------------------------
  var FIX_KEY = "huiquan-fix", FRESH_MS = 3 * 60 * 1000;
  function savedFix() {
    try {
      var fix = JSON.parse(window.sessionStorage.getItem(FIX_KEY) || "null");
      return fix && Date.now() - fix.t < FRESH_MS ? fix : null;
    } catch (e) { return null; }
  }
  function locate(done, failed) {
    if (!navigator.geolocation) { failed({ code: 0 }); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      var fix = { lat: pos.coords.latitude, lng: pos.coords.longitude,
                  acc: Math.round(pos.coords.accuracy || 0), t: Date.now() };
      try { window.sessionStorage.setItem(FIX_KEY, JSON.stringify(fix)); } catch (e) { /* private mode */ }
      done(fix);
    }, failed, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  function locationProblem(err) {
    if (err.code === 1) {
      return "您没有允许定位。领券要确认您在活动区域内：请在浏览器或系统设置里允许本页面使用位置，再点一次。";
    }
    if (err.code === 0) { return "这个浏览器不能定位，请换用手机自带的浏览器或微信打开本页。"; }
    return "暂时定不了位：请打开手机的定位服务，到室外或窗边再试。";
  }

  // A refusal about the position: the next tap must locate again, not resend the same fix.
  if (document.querySelector("#release [data-code^=LOCATION], #release [data-code=OUTSIDE_GEOFENCE]")) {
    try { window.sessionStorage.removeItem(FIX_KEY); } catch (e) { /* private mode */ }
  }

  var box = $("locate");
  var locateStatus = $("locate-status");
  function checkFix(fix) {
    if (!box) { return; }
    var data = new FormData();
    data.append("lat", fix.lat); data.append("lng", fix.lng); data.append("coord_system", "wgs84");
    fetch("/m/locate.json", {
      method: "POST", credentials: "same-origin", body: data,
      headers: { "X-CSRFToken": box.querySelector("[name=csrfmiddlewaretoken]").value }
    }).then(function (r) { return r.json(); }).then(function (answer) {
      locateStatus.textContent = answer.message + (fix.acc ? "（定位精度约 " + fix.acc + " 米）" : "");
      locateStatus.className = "note " + (answer.inside ? "ok" : "bad");
    }).catch(function () { /* the claim checks again anyway */ });
  }
  function refreshFixQuietly() {
    // Only where the resident already allowed it: no prompt appears by surprise.
    if (!box || !navigator.permissions || !navigator.geolocation) { return; }
    navigator.permissions.query({ name: "geolocation" }).then(function (p) {
      if (p.state === "granted") { locate(function (fix) { checkFix(fix); showDistances(fix); }, function () {}); }
    }).catch(function () {});
  }
  if (box) {
    var locateBtn = $("locate-btn");
    var known = savedFix();
    if (known) { checkFix(known); } else { refreshFixQuietly(); }
    locateBtn.addEventListener("click", function () {
      locateBtn.disabled = true; locateStatus.className = "muted"; locateStatus.textContent = "正在定位…";
      locate(function (fix) {
        locateBtn.disabled = false; checkFix(fix); showDistances(fix);
      }, function (err) {
        locateBtn.disabled = false;
        locateStatus.className = "note bad"; locateStatus.textContent = locationProblem(err);
      });
    });
  }

  // --- claim: a fresh fix is used at once, else the position is asked now -----------------
  var form = $("claim-form");
  if (form) {
    var btn = form.querySelector("button");
    var claimStatus = $("claim-status");
    var send = function (fix) {
      form.lat.value = fix.lat; form.lng.value = fix.lng;
      form.coord_system.value = "wgs84";  // browsers report WGS-84
      btn.disabled = true; btn.textContent = "正在领取…";
      form.submit();
    };
    form.addEventListener("submit", function (ev) {
      if (form.lat.value) { return; }  // already located: submit
      ev.preventDefault();
      var fix = savedFix();
      if (fix) { send(fix); return; }
      btn.disabled = true; btn.textContent = "正在定位…";
      locate(send, function (err) {
        btn.disabled = false; btn.textContent = "立即领取";
        claimStatus.className = "note bad"; claimStatus.textContent = locationProblem(err);
      });
    });
  }

  // --- the open release's count, live -----------------------------------------------------
  var release = $("release");
  var remaining = $("remaining");
  if (release && remaining && release.dataset.state === "open") {
    var bar = $("remaining-bar");
    var poll = function () {
      if (!visible()) { window.setTimeout(poll, 5000); return; }
      getJSON("/m/releases/" + release.dataset.release + ".json").then(function (live) {
        remaining.textContent = live.remaining_count;
        if (bar) { bar.value = live.remaining_count; }
        if (live.state !== "open") { window.location.reload(); return; }
        window.setTimeout(poll, 5000);
      }).catch(function () { window.setTimeout(poll, 15000); });
    };
    window.setTimeout(poll, 5000);
  }

  // --- the payment code: countdown, refresh, and the till's confirmation ------------------
  var pay = $("paycode");
  if (pay) {
    var leftEl = $("paycode-left");
    var left = parseInt(pay.dataset.secondsLeft, 10) || 60;
    var refreshing = false;
    var refresh = function () {
      if (refreshing) { return; }
      refreshing = true;
      getJSON("/m/paycode.json").then(function (data) {
        pay.querySelector(".qr").innerHTML = data.svg;
        pay.querySelector(".barcode").innerHTML = data.barcode;
        $("paycode-digits").textContent = data.display || data.payment_code;
        left = data.seconds_left;
        leftEl.textContent = left;
      }).catch(function () { window.location.reload(); })
        .then(function () { refreshing = false; });
    };
    window.setInterval(function () {
      left -= 1;
      if (left <= 0) { left = 60; refresh(); }
      leftEl.textContent = Math.max(left, 0);
    }, 1000);
    $("paycode-refresh").addEventListener("click", refresh);

    var watch = function () {
      if (!visible()) { window.setTimeout(watch, 3000); return; }
      getJSON("/m/voucher.json?id=" + pay.dataset.voucher).then(function (st) {
        // "in_use": a till scanned the code and the payment is in flight (the page says 使用中)
        if (st.state !== "valid" || (st.sale_state === "completed")) { window.location.reload(); return; }
        if (st.sale_state !== pay.dataset.saleState) { window.location.reload(); return; }
        window.setTimeout(watch, 3000);
      }).catch(function () { window.setTimeout(watch, 10000); });
    };
    window.setTimeout(watch, 3000);
  }

  // --- a voucher in use (a till scanned it, the payment is in flight): wait for the outcome --
  var wait = $("paycode-wait");
  if (wait) {
    var waitFor = function () {
      if (!visible()) { window.setTimeout(waitFor, 3000); return; }
      getJSON("/m/voucher.json?id=" + wait.dataset.voucher).then(function (st) {
        if (st.state !== "in_use") { window.location.reload(); return; }
        window.setTimeout(waitFor, 3000);
      }).catch(function () { window.setTimeout(waitFor, 10000); });
    };
    window.setTimeout(waitFor, 3000);
  }

  // --- shops: distance from a fresh fix, nearest first ------------------------------------
  function metres(a, b) {
    var r = Math.PI / 180, dp = (b.lat - a.lat) * r, dl = (b.lng - a.lng) * r;
    var h = Math.pow(Math.sin(dp / 2), 2) +
      Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.pow(Math.sin(dl / 2), 2);
    return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(h)));
  }
  function words(m) {
    return m < 1000 ? "约 " + Math.max(10, Math.round(m / 10) * 10) + " 米"
                    : "约 " + (m / 1000).toFixed(1) + " 公里";
  }
  function showDistances(fix) {
    var list = $("shop-list");
    if (!list || !fix) { return; }
    var items = Array.prototype.slice.call(list.querySelectorAll("li[data-lat]"));
    items.forEach(function (li) {
      li.dataset.metres = metres(fix, { lat: parseFloat(li.dataset.lat), lng: parseFloat(li.dataset.lng) });
      li.querySelector(".distance").textContent = "距您" + words(parseFloat(li.dataset.metres));
    });
    items.sort(function (a, b) { return a.dataset.metres - b.dataset.metres; })
      .forEach(function (li) { list.appendChild(li); });
    var note = $("shops-distance-note");
    if (note) { note.textContent = "按离您的远近排序（根据刚才的定位）。"; }
  }
  showDistances(savedFix());
})();
