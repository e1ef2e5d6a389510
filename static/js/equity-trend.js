// Equity dashboard: the program/RW selects submit on change, and the weekly trend is drawn
// from the JSON endpoint named in the canvas's data-url, with the survey campaign marked.
(function () {
  document.querySelectorAll("[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  const canvas = document.getElementById("equity-trend");
  if (!canvas || !window.Chart) return;

  const campaignLine = {
    id: "campaignLine",
    afterDatasetsDraw(chart, args, options) {
      if (options.index === null || options.index === undefined) return;
      const x = chart.scales.x.getPixelForValue(options.index);
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#dc3545";
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#b02a37";
      ctx.font = "12px sans-serif";
      ctx.fillText(options.label, Math.min(x + 4, chart.chartArea.right - 130), top + 12);
      ctx.restore();
    },
  };

  fetch(canvas.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((data) => {
      if (!data.labels.length) {
        document.getElementById("equity-trend-empty").hidden = false;
      }
      const index = data.campaign_week ? data.weeks.indexOf(data.campaign_week) : -1;
      const series = [
        ["Cakupan", data.coverage, "#198754"],
        ["Kesalahan eksklusi", data.exclusion, "#fd7e14"],
        ["Kesalahan inklusi", data.inclusion, "#6f42c1"],
        ["Data terkini", data.recent, "#0d6efd"],
      ];
      const chart = new Chart(canvas, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: series.map(([label, values, colour]) => ({
            label,
            data: values,
            borderColor: colour,
            backgroundColor: colour,
            spanGaps: true,
            tension: 0.2,
          })),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: "%" } } },
          plugins: {
            campaignLine: {
              index: index >= 0 ? index : null,
              label: "Kampanye survei mulai " + (data.campaign_label || ""),
            },
          },
        },
        plugins: [campaignLine],
      });
      canvas.dataset.drawn = String(chart.data.labels.length);
    })
    .catch(() => {
      document.getElementById("equity-trend-empty").hidden = false;
    });
})();
