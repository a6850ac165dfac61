// The funnel page's chart: the totals of the table below it, one band per stage, each band a link to the
// leads it counts. The data sits in a <script type="application/json"> (Django's json_script): the
// Content-Security-Policy runs no inline script.
(function () {
  function draw(el) {
    const data = JSON.parse(document.getElementById("funnel-chart-data").textContent);
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) { return echarts.format.encodeHTML(p.name) + ": " + p.value; },
      },
      series: [{
        type: "funnel",
        sort: "none",
        left: "5%",
        width: "90%",
        minSize: "8%",
        label: { show: true, position: "inside", formatter: "{b} {c}" },
        data: data.stages.map(function (s) { return { name: s.name, value: s.value, url: s.url }; }),
      }],
    });
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
    new ResizeObserver(function () { chart.resize(); }).observe(el);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const el = document.getElementById("funnel-chart");
    if (el && window.echarts) { draw(el); }
  });
})();
