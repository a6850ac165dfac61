// Draw a chain's segments as a layered graph, upstream first: left to right where the card is wide enough
// for every layer side by side, top to bottom on a phone. The layout is computed here, in the card's own
// pixels, so that no node or label overlaps another; it is computed again whenever the card's width changes.
(function () {
  const NODE = 40; // node size, px
  const GAP = 16; // the least room between two neighbours' labels, px

  function layers(nodes, links) {
    const depth = {};
    nodes.forEach(function (n) { depth[n.id] = 0; });
    // Longest-path layering; the graph is acyclic (the server refuses cycles), so |nodes| passes suffice.
    for (let i = 0; i < nodes.length; i++) {
      links.forEach(function (l) { depth[l.target] = Math.max(depth[l.target], depth[l.source] + 1); });
    }
    return depth;
  }

  let measurer = null;
  function textWidth(text, fontSize) {
    measurer = measurer || document.createElement("canvas").getContext("2d");
    measurer.font = fontSize + "px " + getComputedStyle(document.body).fontFamily;
    return measurer.measureText(text).width;
  }

  // Each node's centre in px from the card's top left, the chart's height, and the label size to use.
  // Wide: one column per layer. Narrow: one row per layer, wrapped onto more rows when it holds more
  // nodes than the width has slots for.
  function place(graph, depth, width) {
    const fontSize = width < 576 ? 12 : 13;
    const widest = graph.nodes.reduce(function (w, n) { return Math.max(w, textWidth(n.name, fontSize)); }, 0);
    const slot = Math.max(NODE, widest) + GAP;
    const rowHeight = NODE + fontSize * 1.5 + GAP;
    const groups = [];
    graph.nodes.forEach(function (n) {
      (groups[depth[n.id]] = groups[depth[n.id]] || []).push(n);
    });
    const columns = groups.filter(Boolean);
    // Fewer crossing edges: after the first layer, a node sits near the mean place of its upstream nodes
    // (the barycentre heuristic); ties keep the server's order.
    const rank = {};
    columns.forEach(function (layer) {
      const mean = {};
      layer.forEach(function (n, i) {
        const ups = graph.links.filter(function (l) { return l.target === n.id && l.source in rank; });
        mean[n.id] = ups.length ? ups.reduce(function (sum, l) { return sum + rank[l.source]; }, 0) / ups.length : i / Math.max(1, layer.length - 1);
      });
      layer.sort(function (a, b) { return mean[a.id] - mean[b.id]; });
      layer.forEach(function (n, i) { rank[n.id] = i / Math.max(1, layer.length - 1); });
    });
    const at = {};
    let height;
    // Side by side only when each layer gets a column wide enough for its arrows to be seen.
    const horizontal = columns.length * Math.max(slot, 120) <= width;
    if (horizontal) {
      const columnWidth = width / columns.length;
      const tallest = Math.max.apply(null, columns.map(function (c) { return c.length; }));
      columns.forEach(function (column, i) {
        column.forEach(function (n, j) { at[n.id] = [(i + 0.5) * columnWidth, (j + 0.5) * rowHeight]; });
      });
      height = tallest * rowHeight;
    } else {
      const perRow = Math.max(1, Math.floor(width / slot));
      let row = 0;
      columns.forEach(function (layer) {
        for (let start = 0; start < layer.length; start += perRow, row++) {
          const chunk = layer.slice(start, start + perRow);
          chunk.forEach(function (n, j) { at[n.id] = [((j + 0.5) * width) / chunk.length, (row + 0.5) * rowHeight]; });
        }
      });
      height = row * rowHeight;
    }
    return { at: at, height: Math.max(height, rowHeight), fontSize: fontSize, horizontal: horizontal };
  }

  // The theme's colours (app.css), so the graph matches the page's contrast-checked palette.
  function themeColour(name, fallback) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  }

  function option(graph, layout, width, sampleLabel) {
    const weak = themeColour("--tblr-danger", "#b82626");
    const normal = themeColour("--tblr-primary", "#0561b6");
    const sample = "#9a3412";  // the sample badge's colour (app.css .badge-sample)
    const data = graph.nodes.map(function (n) {
      // Sample segments (示例数据) are drawn with a dashed outline, and the legend says so.
      const style = { color: n.weak ? weak : normal };
      if (n.sample) { Object.assign(style, { borderType: "dashed", borderColor: sample, borderWidth: 3 }); }
      return { id: n.id, name: n.name, value: layout.at[n.id], itemStyle: style };
    });
    return {
      // No animation: the graph is drawn where it will stay (and a reader who asked for reduced motion is spared).
      animation: false,
      // A hidden grid the size of the card: a node's value is its position in px (exact, no fitting).
      grid: { left: 0, right: 0, top: 0, bottom: 0 },
      xAxis: { type: "value", min: 0, max: width, show: false },
      yAxis: { type: "value", min: 0, max: layout.height, inverse: true, show: false },
      tooltip: {
        // Kept inside the chart, where ECharts draws no arrow: the arrow is markup with a style
        // attribute, which the Content-Security-Policy refuses (style-src 'self').
        confine: true,
        // ECharts puts a formatter's answer in the page as HTML: a segment's name is escaped.
        formatter: function (p) {
          if (p.dataType !== "node") { return p.data && p.data.lineStyle ? echarts.format.encodeHTML(sampleLabel) : ""; }
          return echarts.format.encodeHTML(p.name);
        },
      },
      series: [{
        id: "segments", type: "graph", layout: "none", coordinateSystem: "cartesian2d", data: data,
        symbolSize: NODE,
        // Sample links (示例数据) are dashed: the legend under the chart says so.
        links: graph.links.map(function (l) {
          return l.sample
            ? { source: l.source, target: l.target, lineStyle: { type: "dashed", color: sample } }
            : { source: l.source, target: l.target };
        }),
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 10,
        label: { show: true, position: "bottom", fontSize: layout.fontSize },
        lineStyle: { width: 2, color: themeColour("--tblr-gray-500", "#6b7280"), curveness: layout.horizontal ? 0.1 : 0.2 },
      }],
    };
  }

  function draw(el) {
    // The data sits beside the chart in a <script type="application/json"> (Django's json_script):
    // the Content-Security-Policy runs no inline script, and that element is never run.
    const graph = JSON.parse(document.getElementById("segment-graph-data").textContent);
    const depth = layers(graph.nodes, graph.links);
    const chart = echarts.init(el);
    let drawnWidth = null;
    function render() {
      const width = el.clientWidth;
      if (!width || width === drawnWidth) return;
      drawnWidth = width;
      const layout = place(graph, depth, width);
      // Room under the last row for its labels. A style set from script is allowed by the CSP.
      el.style.height = Math.ceil(layout.height) + "px";
      el.dataset.layout = layout.horizontal ? "horizontal" : "vertical";
      chart.resize();
      chart.setOption(option(graph, layout, width, el.dataset.sampleLabel || ""), { notMerge: true });
    }
    render();
    // The card changes width with the window, the sidebar and a phone's rotation.
    new ResizeObserver(render).observe(el);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const el = document.getElementById("segment-graph");
    if (el && window.echarts) { draw(el); }
  });
})();
