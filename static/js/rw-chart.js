// Draw recipients per RW, one stacked bar series per program, from the JSON in the page.
(function () {
  const source = document.getElementById("rw-chart-data");
  const canvas = document.getElementById("rw-chart");
  if (!source || !canvas || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const colours = ["#198754", "#0d6efd", "#fd7e14", "#6f42c1", "#20c997", "#dc3545"];
  const datasets = data.datasets.map((code, i) => ({
    label: code,
    data: data.labels.map((rw) => (data.values[code] || {})[rw] || 0),
    backgroundColor: colours[i % colours.length],
  }));
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels.map((rw) => "RW " + String(rw).padStart(2, "0")), datasets },
    options: { responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
})();
