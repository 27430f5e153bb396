/* Small behaviours of the merchant pages, moved out of the templates so that the
   Content-Security-Policy can forbid inline script. Each one does what its inline handler did.
   The forms work without this file. */
(function () {
  "use strict";

  // Receipt: "打印小票" prints; "登记退货" asks first (data-confirm holds the question).
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) { window.print(); }
    var ask = e.target.closest("[data-confirm]");
    if (ask && !window.confirm(ask.getAttribute("data-confirm"))) { e.preventDefault(); }
  });

  // Till: the confirm step is sent once; a second tap while it is on its way does nothing.
  var till = document.getElementById("till-form");
  if (till) {
    till.addEventListener("submit", function (e) {
      var b = till.querySelector("#confirm");
      if (b) {
        if (b.dataset.sent) { e.preventDefault(); return; }
        b.dataset.sent = "1";
        b.textContent = "正在核销，请稍候…";
      }
    });
  }

  // Application: "获取当前位置" fills the shop's coordinates (browsers report WGS-84).
  var locate = document.getElementById("locate");
  if (locate) {
    locate.addEventListener("click", function () {
      if (!navigator.geolocation) { alert("此浏览器不能定位，请手动填写坐标"); return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("id_lat").value = p.coords.latitude.toFixed(6);
        document.getElementById("id_lng").value = p.coords.longitude.toFixed(6);
        document.getElementById("id_coord_system").value = "wgs84";
      }, function () { alert("没有获得定位权限，请手动填写坐标"); });
    });
  }
})();
