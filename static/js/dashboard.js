// Pantryflow's dashboards: draws the charts of a workflow's dashboard with the vendored Chart.js from the
// JSON the server put in <script type="application/json" id="dashboard-data"> (views/dashboards.templ,
// DashboardCharts). Plain ES2020, no build step, no inline scripts (CSP).
(() => {
  'use strict';

  const source = document.getElementById('dashboard-data');
  if (!source || typeof window.Chart === 'undefined') return;
  const data = JSON.parse(source.textContent);
  const Chart = window.Chart;

  // The page's own colours (static/css/app.css), so the bars match the status badges.
  const css = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => (css.getPropertyValue(name) || '').trim() || fallback;
  const statusColours = {
    completed: colour('--ok', '#1f7a3a'),
    failed: colour('--bad', '#a32020'),
    running: colour('--info', '#1d4f91'),
    paused: colour('--warn', '#8a5a00'),
    cancelled: '#9aa4b2',
  };

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = colour('--muted', '#5b6575');
  if (window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches) {
    Chart.defaults.animation = false;
  }

  const countAxis = { beginAtZero: true, ticks: { precision: 0 }, grid: { color: colour('--soft', '#eef1f5') } };

  const runs = document.getElementById('runs-chart');
  if (runs && data.runs.labels.length > 0 && data.runs.series.length > 0) {
    new Chart(runs, {
      type: 'bar',
      data: {
        labels: data.runs.labels,
        datasets: data.runs.series.map((s) => ({
          label: s.label,
          data: s.counts,
          backgroundColor: statusColours[s.status] || '#9aa4b2',
          stack: 'runs',
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } },
          y: { ...countAxis, stacked: true, title: { display: true, text: 'runs' } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { title: (items) => (items.length ? data.runs.titles[items[0].dataIndex] : '') } },
        },
      },
    });
  }

  const durations = document.getElementById('duration-chart');
  if (durations && data.durations.counts.length > 0) {
    new Chart(durations, {
      type: 'bar',
      data: {
        labels: data.durations.labels,
        datasets: [{ label: 'Completed runs', data: data.durations.counts, backgroundColor: colour('--accent', '#1f6f5c') }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { grid: { display: false }, title: { display: true, text: 'how long a run took' } },
          y: { ...countAxis, title: { display: true, text: 'runs' } },
        },
        plugins: { legend: { display: false } },
      },
    });
  }
})();
