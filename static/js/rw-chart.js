// Public coverage per RW, one bar series per program, from the canvas's data-chart
// attribute. Suppressed cells ("<5", "—") are left out of the chart.
(function () {
  const canvas = document.getElementById("rw-chart");
  if (!canvas || !window.Chart || !canvas.dataset.chart) return;
  const data = JSON.parse(canvas.dataset.chart);
  const colours = ["#198754", "#0d6efd", "#fd7e14", "#6f42c1", "#20c997", "#dc3545"];
  const percent = (text) => (/^\d+%$/.test(text) ? parseInt(text, 10) : null);
  const datasets = data.series.map((s, i) => ({
    label: s.code,
    data: s.values.map(percent),
    backgroundColor: colours[i % colours.length],
  }));
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels.map((rw) => "RW " + String(rw).padStart(2, "0")), datasets },
    options: {
      responsive: true,
      scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: "Cakupan (%)" } } },
    },
  });
})();
