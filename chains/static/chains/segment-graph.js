// Draw a chain's segments as a left-to-right graph: upstream on the left, downstream on the right.
(function () {
  function layers(nodes, links) {
    const depth = {};
    nodes.forEach(function (n) { depth[n.id] = 0; });
    // Longest-path layering; the graph is acyclic (the server refuses cycles), so |nodes| passes suffice.
    for (let i = 0; i < nodes.length; i++) {
      links.forEach(function (l) { depth[l.target] = Math.max(depth[l.target], depth[l.source] + 1); });
    }
    return depth;
  }
  function draw(el) {
    // The data sits beside the chart in a <script type="application/json"> (Django's json_script):
    // the Content-Security-Policy runs no inline script, and that element is never run.
    const graph = JSON.parse(document.getElementById("segment-graph-data").textContent);
    const depth = layers(graph.nodes, graph.links);
    const perLayer = {};
    const data = graph.nodes.map(function (n) {
      const d = depth[n.id];
      perLayer[d] = (perLayer[d] || 0) + 1;
      // Sample segments (示例数据) are drawn with a dashed outline, and the legend says so.
      return {
        id: n.id, name: n.name, x: d * 160, y: perLayer[d] * 70,
        itemStyle: n.sample
          ? { color: n.weak ? "#d63939" : "#206bc4", borderType: "dashed", borderColor: "#9a3412", borderWidth: 3 }
          : { color: n.weak ? "#d63939" : "#206bc4" },
        symbolSize: 44,
      };
    });
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {
        // Kept inside the chart, where ECharts draws no arrow: the arrow is markup with a style
        // attribute, which the Content-Security-Policy refuses (style-src 'self').
        confine: true,
        // ECharts puts a formatter's answer in the page as HTML: a segment's name is escaped.
        formatter: function (p) {
          if (p.dataType !== "node") { return p.data && p.data.lineStyle ? echarts.format.encodeHTML(el.dataset.sampleLabel) : ""; }
          return echarts.format.encodeHTML(p.name);
        },
      },
      series: [{
        type: "graph", layout: "none", roam: true, data: data,
        // Sample links (示例数据) are dashed: the legend under the chart says so.
        links: graph.links.map(function (l) {
          return l.sample
            ? { source: l.source, target: l.target, lineStyle: { type: "dashed", color: "#9a3412" } }
            : { source: l.source, target: l.target };
        }),
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 10,
        label: { show: true, position: "bottom", fontSize: 13 },
        lineStyle: { width: 2, color: "#9aa0ac", curveness: 0.1 },
      }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    const el = document.getElementById("segment-graph");
    if (el && window.echarts) { draw(el); }
  });
})();
