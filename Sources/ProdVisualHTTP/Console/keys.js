// API keys ("API Token Management"): list, create (the secret shown once), revoke.
import { api, session } from './api.js';
import { $, h, clear, showError, formatDateTime } from './dom.js';

export function init() {
  $('create-key-form').addEventListener('submit', create);
  $('copy-key').addEventListener('click', copy);
}

export function reset() {
  clear($('keys-body'));
  hideSecret();
}

export function show() {
  return load();
}

function hideSecret() {
  $('new-key-secret').value = '';
  $('new-key').hidden = true;
  $('copy-status').textContent = '';
}

async function load() {
  const error = $('keys-error');
  showError(error, null);
  const form = $('create-key-form');
  try {
    const list = await api('/v1/keys');
    form.hidden = false;
    $('keys-table').hidden = false;
    render(list.data);
  } catch (failure) {
    // A test key is refused (403): say so, and offer nothing it cannot do.
    showError(error, failure);
    if (failure.status === 403) {
      form.hidden = true;
      $('keys-table').hidden = true;
    }
  }
}

function render(keys) {
  const body = clear($('keys-body'));
  const signedInWith = session.key || '';
  for (const key of keys) {
    const revoked = Boolean(key.revoked_at);
    // The key this tab signed in with cannot revoke itself (the API refuses): say so instead.
    const own = !revoked && signedInWith.startsWith(key.prefix) && signedInWith.endsWith(key.hint);
    let status;
    if (revoked) status = h('span', { className: 'status status-revoked' }, `Revoked ${formatDateTime(key.revoked_at)}`);
    else if (own) status = h('span', { className: 'status status-current' }, 'Signed in with this key');
    else {
      status = h('button', { type: 'button', className: 'danger small', 'aria-label': `Revoke ${key.name} (${key.prefix}…${key.hint})` }, 'Revoke');
      status.addEventListener('click', () => confirmRevoke(status, key));
    }
    body.append(h('tr', { className: revoked ? 'revoked' : '' },
      h('td', { dataset: { label: 'Name' } }, key.name),
      h('td', { dataset: { label: 'Key' } }, h('code', {}, `${key.prefix}…${key.hint}`)),
      h('td', { dataset: { label: 'Mode' } }, h('span', { className: `badge badge-${key.mode}` }, key.mode)),
      h('td', { dataset: { label: 'Created' } }, formatDateTime(key.created_at)),
      h('td', { dataset: { label: 'Last used' } }, key.last_used_at ? formatDateTime(key.last_used_at) : 'Never'),
      h('td', { dataset: { label: 'Status' } }, status)));
  }
}

/** Revoking takes a second click, on a button that says what it does. */
function confirmRevoke(button, key) {
  const cell = button.parentElement;
  const yes = h('button', { type: 'button', className: 'danger small' }, `Revoke ${key.prefix}…${key.hint} now`);
  const no = h('button', { type: 'button', className: 'secondary small' }, 'Cancel');
  no.addEventListener('click', () => { clear(cell).append(button); button.focus(); });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    no.disabled = true;
    showError($('keys-error'), null);
    try {
      await api(`/v1/keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
      if ($('new-key-secret').value.endsWith(key.hint)) hideSecret();
      await load();
      $('keys-title').focus();
    } catch (failure) {
      showError($('keys-error'), failure);
      yes.disabled = false;
      no.disabled = false;
    }
  });
  clear(cell).append(yes, ' ', no);
  yes.focus();
}

async function create(event) {
  event.preventDefault();
  const button = event.submitter || $('create-key-form').querySelector('button');
  showError($('keys-error'), null);
  hideSecret();
  button.disabled = true;
  try {
    const created = await api('/v1/keys', { method: 'POST', json: { name: $('key-name').value.trim(), mode: $('key-mode').value } });
    $('key-name').value = '';
    $('new-key-secret').value = created.secret;
    $('new-key').hidden = false;
    await load();
    $('new-key').focus();
  } catch (failure) {
    showError($('keys-error'), failure);
  } finally {
    button.disabled = false;
  }
}

async function copy() {
  const input = $('new-key-secret');
  const status = $('copy-status');
  try {
    await navigator.clipboard.writeText(input.value);
    status.textContent = 'Copied to the clipboard.';
  } catch {
    // Without clipboard access (an insecure origin), select it for Ctrl+C.
    input.focus();
    input.select();
    status.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
  }
}
