// Overview: the balance, usage, last purchase, and credits used per day as an SVG bar chart.
import { api } from './api.js';
import { $, h, svg, clear, showError, formatDate, formatDay, plural } from './dom.js';

const DAYS = 30;

export function reset() {
  for (const id of ['stat-balance', 'stat-today', 'stat-total', 'stat-purchase']) $(id).textContent = '…';
  clear($('usage-chart'));
  clear($('usage-table'));
}

export async function show() {
  const error = $('overview-error');
  showError(error, null);
  $('stats').setAttribute('aria-busy', 'true');
  try {
    const [credits, usage] = await Promise.all([api('/v1/account/credits'), api(`/v1/account/usage?days=${DAYS}`)]);
    $('stat-balance').textContent = plural(credits.credits_remaining, 'credit');
    $('stat-today').textContent = plural(credits.credits_used_today, 'credit');
    $('stat-total').textContent = plural(credits.credits_used_total, 'credit');
    const purchase = credits.last_purchase;
    $('stat-purchase').textContent = purchase ? `${plural(purchase.amount, 'credit')} on ${formatDate(purchase.date)}` : 'None yet';
    drawChart($('usage-chart'), usage);
    drawTable($('usage-table'), usage);
  } catch (failure) {
    showError(error, failure);
  } finally {
    $('stats').setAttribute('aria-busy', 'false');
  }
}

/** Bars of credits used per day, scaled to a round maximum, with the day and count in each bar's title. */
function drawChart(container, usage) {
  const days = usage.data;
  // Drawn at the container's own width, so that its text stays legible on a phone.
  const width = Math.round(Math.max(300, Math.min(720, container.clientWidth || 720)));
  const height = width < 500 ? 200 : 240;
  const margin = { top: 12, right: 8, bottom: 28, left: 36 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const busiest = Math.max(0, ...days.map((day) => day.credits_used));
  const top = niceCeiling(Math.max(1, busiest));
  const step = plotWidth / days.length;
  const y = (value) => margin.top + plotHeight - (Math.max(0, value) / top) * plotHeight;

  const summary = `Credits used per day from ${formatDay(usage.from)} to ${formatDay(usage.to)}: ` +
    `${plural(usage.credits_used, 'credit')} in all, at most ${plural(busiest, 'credit')} on one day.`;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'usage-chart-title', class: 'bars', preserveAspectRatio: 'xMidYMid meet' },
    svg('title', { id: 'usage-chart-title' }, summary));

  // Grid lines and their values: 0, the top, and half-way when that is a whole number.
  const ticks = Number.isInteger(top / 2) ? [0, top / 2, top] : [0, top];
  for (const value of ticks) {
    chart.append(
      svg('line', { x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value), class: 'grid' }),
      svg('text', { x: margin.left - 6, y: y(value) + 4, class: 'axis', 'text-anchor': 'end' }, formatNumber(value)));
  }
  days.forEach((day, index) => {
    const x = margin.left + index * step;
    const barHeight = Math.max(0, y(0) - y(day.credits_used));
    const bar = svg('rect', {
      x: x + step * 0.15, y: y(0) - barHeight, width: step * 0.7, height: barHeight,
      class: day.credits_used > 0 ? 'bar' : 'bar empty', rx: 2,
    }, svg('title', {}, `${formatDay(day.date)}: ${plural(day.credits_used, 'credit')}, ${plural(day.generations, 'generation')}`));
    chart.append(bar);
    // A day's label every week, and the last day's.
    if ((days.length - 1 - index) % 7 === 0) {
      const last = index === days.length - 1;
      chart.append(svg('text', {
        x: last ? x + step : x + step / 2, y: height - 8, class: 'axis', 'text-anchor': last ? 'end' : 'middle',
      }, formatDay(day.date)));
    }
  });
  clear(container).append(chart);
  if (busiest === 0) container.append(h('p', { className: 'help' }, 'No credits used in these 30 days yet.'));
}

function drawTable(container, usage) {
  const rows = usage.data.slice().reverse().map((day) =>
    h('tr', {}, h('th', { scope: 'row' }, formatDay(day.date)), h('td', {}, String(day.credits_used)), h('td', {}, String(day.generations))));
  clear(container).append(h('table', { className: 'compact' },
    h('caption', { className: 'visually-hidden' }, 'Credits used and generations per day, newest first'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day (UTC)'), h('th', { scope: 'col' }, 'Credits used'), h('th', { scope: 'col' }, 'Generations'))),
    h('tbody', {}, rows)));
}

/** 1, 2, 5, 10, 20, 50, … at or above `value`. */
function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * power >= value) return factor * power;
  }
  return 10 * power;
}

function formatNumber(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
