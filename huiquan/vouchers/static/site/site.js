// The campaign page: countdown to the server's time, location for claiming, rotating payment code.
(function () {
  "use strict";
  var body = document.body;
  var serverNow = Date.parse(body.dataset.serverTime);
  var offset = isNaN(serverNow) ? 0 : serverNow - Date.now();  // server clock minus phone clock
  function now() { return Date.now() + offset; }

  var cd = document.getElementById("countdown");
  if (cd) {
    var target = Date.parse(cd.dataset.target);
    var tick = function () {
      var left = Math.max(0, Math.floor((target - now()) / 1000));
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      cd.textContent = (d ? d + " 天 " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
      if (left === 0) { window.location.reload(); return; }
      window.setTimeout(tick, 1000);
    };
    tick();
  }

  var form = document.getElementById("claim-form");
  if (form) {
    var btn = form.querySelector("button");
    var status = document.getElementById("claim-status");
    form.addEventListener("submit", function (ev) {
      if (form.lat.value) { return; }  // already located: submit
      ev.preventDefault();
      if (!navigator.geolocation) {
        status.textContent = "您的浏览器不支持定位，无法确认您在临汾市范围内。";
        status.className = "note bad"; return;
      }
      btn.disabled = true; btn.textContent = "正在获取位置…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.lat.value = pos.coords.latitude;
        form.lng.value = pos.coords.longitude;
        form.coord_system.value = "wgs84";  // browsers report WGS-84
        btn.textContent = "正在领取…";
        form.submit();
      }, function (err) {
        btn.disabled = false; btn.textContent = "立即领取";
        status.className = "note bad";
        status.textContent = err.code === 1
          ? "您拒绝了定位授权。领券需要确认您在临汾市范围内：请在浏览器设置中允许本页面使用位置后再试。"
          : "暂时无法获取您的位置，请到信号更好的地方或打开手机定位后再试。";
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  var pay = document.getElementById("paycode");
  if (pay) {
    var refresh = function () {
      fetch("/m/paycode.json", { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { window.location.reload(); return; }
          pay.querySelector(".qr").innerHTML = data.svg;
          pay.querySelector(".code").textContent = data.display || data.payment_code;
          window.setTimeout(refresh, (data.seconds_left + 1) * 1000);
        })
        .catch(function () { window.setTimeout(refresh, 5000); });
    };
    window.setTimeout(refresh, (parseInt(pay.dataset.secondsLeft, 10) + 1) * 1000);
  }
})();
