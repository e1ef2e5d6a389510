// Draw the recipients-per-program bar chart from the JSON embedded in the page.
(function () {
  const source = document.getElementById("program-chart-data");
  const canvas = document.getElementById("program-chart");
  if (!source || !canvas || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: [{ label: "Penerima aktif", data: data.values, backgroundColor: "#198754" }] },
    options: {
      responsive: true,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { callback: (v) => v.toLocaleString("id-ID") } } },
    },
  });
})();
