// History: the account's generations and batches, newest first, a page at a time
// (GET /v1/generations with starting_after), each with its webhook deliveries.
import { api } from './api.js';
import { $, h, clear, showError, formatDateTime, formatMs, plural } from './dom.js';

const PAGE = 20;
let lastID = null;

export function init() {
  $('history-more').addEventListener('click', () => load(false));
}

export function reset() {
  clear($('history-list'));
  lastID = null;
}

export function show() {
  return load(true);
}

async function load(fromStart) {
  const list = $('history-list');
  const more = $('history-more');
  const error = $('history-error');
  showError(error, null);
  list.setAttribute('aria-busy', 'true');
  more.disabled = true;
  try {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (!fromStart && lastID) query.set('starting_after', lastID);
    const page = await api(`/v1/generations?${query}`);
    if (fromStart) clear(list);
    for (const entry of page.data) list.append(entry.batch_id && !entry.id ? batchItem(entry) : generationItem(entry));
    if (page.data.length) lastID = entryID(page.data[page.data.length - 1]);
    more.hidden = !page.has_more;
    $('history-empty').hidden = list.children.length > 0;
    // After "Load more", keyboard focus goes to the first new entry.
    if (!fromStart && page.data.length) list.children[list.children.length - page.data.length].focus();
  } catch (failure) {
    showError(error, failure);
  } finally {
    list.setAttribute('aria-busy', 'false');
    more.disabled = false;
  }
}

function entryID(entry) {
  return entry.id || entry.batch_id;
}

function statusBadge(status) {
  return h('span', { className: `status status-${status}` }, status);
}

function thumbnail(generation) {
  if (generation.status === 'completed' && generation.output_url) {
    return h('a', { href: generation.output_url, className: 'thumb', target: '_blank', rel: 'noopener noreferrer' },
      h('img', { src: generation.output_url, alt: `Output of ${generation.id}`, loading: 'lazy', decoding: 'async', width: 96, height: 96 }));
  }
  const text = generation.status === 'completed' ? 'expired' : generation.status;
  return h('span', { className: 'thumb thumb-empty', 'aria-hidden': 'true' }, text);
}

function generationItem(generation) {
  const details = [
    `${generation.style} on ${generation.platform}`,
    `${generation.dimensions} ${generation.format.toUpperCase()}`,
    generation.credits_used > 0 ? plural(generation.credits_used, 'credit') : 'free',
  ];
  if (generation.generation_time_ms !== null) details.push(formatMs(generation.generation_time_ms));
  return h('li', { className: 'entry card', tabIndex: -1 },
    thumbnail(generation),
    h('div', { className: 'entry-body' },
      h('p', { className: 'entry-title' }, h('strong', {}, generation.id), ' ', statusBadge(generation.status)),
      h('p', { className: 'meta' }, details.join(' · ')),
      h('p', { className: 'meta' }, h('time', { dateTime: generation.created_at }, formatDateTime(generation.created_at))),
      generation.error ? h('p', { className: 'error-inline' }, generation.error.message) : null,
      webhook(generation.webhook)));
}

function batchItem(batch) {
  const first = batch.items.find((item) => item.status === 'completed' && item.output_url) || batch.items[0];
  const items = h('ol', { className: 'batch-items' }, batch.items.map((item) =>
    h('li', {}, h('span', {}, item.id), ' ', statusBadge(item.status), ` ${item.style} on ${item.platform}`,
      item.error ? ` — ${item.error.message}` : '')));
  return h('li', { className: 'entry card', tabIndex: -1 },
    first ? thumbnail(first) : h('span', { className: 'thumb thumb-empty', 'aria-hidden': 'true' }, 'batch'),
    h('div', { className: 'entry-body' },
      h('p', { className: 'entry-title' }, h('strong', {}, batch.batch_id), ' ', statusBadge(batch.status)),
      h('p', { className: 'meta' },
        `Batch of ${plural(batch.total_items, 'item')}: ${batch.completed_items} completed, ${batch.failed_items} failed · ${plural(batch.credits_used, 'credit')}`),
      h('p', { className: 'meta' }, h('time', { dateTime: batch.created_at }, formatDateTime(batch.created_at))),
      h('details', {}, h('summary', {}, `Items (${batch.items.length})`), items),
      webhook(batch.webhook)));
}

/** Every delivery of the webhook, each attempt with its status code (or error) and time. */
function webhook(status) {
  if (!status) return null;
  const deliveries = status.deliveries.map((delivery) => h('li', {},
    h('span', {}, `${delivery.event}: `), statusBadge(delivery.status),
    delivery.next_attempt_at ? ` next attempt ${formatDateTime(delivery.next_attempt_at)}` : '',
    delivery.attempts.length
      ? h('ol', { className: 'attempts' }, delivery.attempts.map((attempt) => h('li', {},
        `Attempt ${attempt.number}: `,
        h('strong', {}, attempt.status_code !== null ? `HTTP ${attempt.status_code}` : (attempt.error || 'no answer')),
        ` at ${formatDateTime(attempt.attempted_at)} (${formatMs(attempt.duration_ms)})`)))
      : h('p', { className: 'meta' }, 'Not attempted yet.')));
  return h('details', { className: 'webhook' },
    h('summary', {}, `Webhook: ${plural(status.deliveries.length, 'delivery', 'deliveries')} to ${status.url}`),
    deliveries.length ? h('ul', {}, deliveries) : h('p', { className: 'meta' }, 'Queued: the event is sent when the work finishes.'));
}
