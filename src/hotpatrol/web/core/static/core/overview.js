/* Force overview: district polygons and hotspot cells as Leaflet vector layers (no tiles). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("overview-data").textContent);
  var COLOURS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
  var map = L.map("map", { preferCanvas: false, zoomSnap: 0.25, attributionControl: false });
  var districts = L.geoJSON(data.districts, {
    style: { color: "#0b2545", weight: 1.5, fillColor: "#8da9c4", fillOpacity: 0.15, className: "district" },
    onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name, { sticky: true }); }
  });
  // harm classes: quantiles of the cells sent
  var harms = data.cells.map(function (c) { return c[5]; }).sort(function (a, b) { return a - b; });
  function q(p) { return harms.length ? harms[Math.min(harms.length - 1, Math.floor(p * harms.length))] : 0; }
  var breaks = [q(0.5), q(0.75), q(0.9), q(0.97)];
  function colour(h) { var i = 0; while (i < breaks.length && h > breaks[i]) i++; return COLOURS[i]; }
  var cellLayer = L.featureGroup();
  var byId = {};
  data.cells.forEach(function (c) {
    var r = L.rectangle([[c[2], c[1]], [c[4], c[3]]], {
      color: "#67000d", weight: 0.5, fillColor: colour(c[5]), fillOpacity: 0.85, className: "cell"
    });
    r.cellId = c[0];
    r.bindTooltip("#" + c[6] + " · harm " + c[5].toFixed(1) + " · " + c[7] + " crimes");
    r.on("click", function () { show(c[0]); });
    r.addTo(cellLayer);
    byId[c[0]] = r;
  });
  // set the view first: Leaflet draws vector layers only once the map has one
  var bounds = districts.getBounds();
  if (!bounds.isValid() && data.cells.length) bounds = cellLayer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] }); else map.setView([51.5, -0.1], 8);
  districts.addTo(map);
  cellLayer.addTo(map);
  districts.eachLayer(function (layer) {
    var el = layer.getElement && layer.getElement();
    if (el) el.setAttribute("data-district", layer.feature.properties.code);
  });
  var legend = document.getElementById("legend");
  if (legend && harms.length) {
    var lo = [harms[0]].concat(breaks);
    legend.innerHTML = "<span>harm per cell:</span>" + COLOURS.map(function (col, i) {
      return "<span><i style='background:" + col + "'></i>" + (i < breaks.length ? "≤ " + breaks[i].toFixed(1) : "> " + breaks[breaks.length - 1].toFixed(1)) + "</span>";
    }).join("");
  }
  function esc(s) { return String(s).replace(/[&<>"']/g, function (ch) { return "&#" + ch.charCodeAt(0) + ";"; }); }
  function sparkline(values, labels) {
    var w = 260, h = 60, n = values.length, max = Math.max.apply(null, values.concat([1]));
    var pts = values.map(function (v, i) { return (n > 1 ? i * w / (n - 1) : 0).toFixed(1) + "," + (h - 4 - v * (h - 8) / max).toFixed(1); }).join(" ");
    var dots = values.map(function (v, i) {
      return "<circle cx='" + (n > 1 ? i * w / (n - 1) : 0).toFixed(1) + "' cy='" + (h - 4 - v * (h - 8) / max).toFixed(1) + "' r='2.2' fill='#b2182b'><title>" + esc(labels[i]) + ": " + v + "</title></circle>";
    }).join("");
    return "<svg class='spark' viewBox='-4 0 268 60' role='img' aria-label='crimes per month'><polyline points='" + pts + "' fill='none' stroke='#b2182b' stroke-width='1.5'/>" + dots + "</svg>" +
      "<div class='hint'>" + esc(labels[0] || "") + " … " + esc(labels[labels.length - 1] || "") + " (max " + max + " a month)</div>";
  }
  function show(id) {
    var box = document.getElementById("cell");
    document.querySelectorAll("tr.sel").forEach(function (tr) { tr.classList.remove("sel"); });
    var tr = document.querySelector("tr[data-cell='" + id + "']"); if (tr) tr.classList.add("sel");
    box.innerHTML = "<p class='hint'>Loading…</p>";
    fetch(data.cellApi + id, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (!res[0]) { box.innerHTML = "<p>" + esc(res[1].error ? res[1].error.message : "Error") + "</p>"; return; }
        var c = res[1];
        var mix = Object.keys(c.mix).map(function (k) { return [k, c.mix[k]]; }).sort(function (a, b) { return b[1] - a[1]; });
        box.innerHTML = "<h3>Cell " + esc(c.cell_id) + " · rank " + c.rank + (c.district ? " · " + esc(c.district) : "") + "</h3>" +
          "<p>Harm " + c.harm.toFixed(1) + " from " + c.count + " crimes (" + esc(c.period) + ")</p>" +
          sparkline(c.series, c.months) +
          "<table class='small mix'><tbody>" + mix.map(function (m) { return "<tr><th>" + esc(m[0]) + "</th><td>" + m[1] + "</td></tr>"; }).join("") + "</tbody></table>";
      })
      .catch(function () { box.innerHTML = "<p>Could not load the cell.</p>"; });
  }
  document.querySelectorAll("tr[data-cell]").forEach(function (tr) {
    tr.addEventListener("click", function () {
      var id = Number(tr.getAttribute("data-cell"));
      if (byId[id]) map.fitBounds(byId[id].getBounds(), { maxZoom: 16 });
      show(id);
    });
  });
  window.hotpatrolMap = { map: map, districts: districts, cells: cellLayer };
})();
