// The console's shell: signing in and out, and one view at a time by the URL's hash.
import { api, session } from './api.js';
import { $, showError } from './dom.js';
import * as overview from './overview.js';
import * as playground from './playground.js';
import * as historyView from './history.js';
import * as keys from './keys.js';

const views = { overview, playground, history: historyView, keys };
const titles = { overview: 'Overview', playground: 'Playground', history: 'History', keys: 'API keys' };

function showOnly(name) {
  for (const section of document.querySelectorAll('main > .view')) {
    section.hidden = section.id !== `view-${name}`;
  }
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === `#${name}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** Moves focus to the view's heading, so that keyboard and screen-reader users land there. */
function focusHeading(name) {
  const heading = document.querySelector(`#view-${name} h1`);
  if (heading) heading.focus({ preventScroll: false });
}

function route({ focus = true } = {}) {
  const signedIn = Boolean(session.key);
  $('nav').hidden = !signedIn;
  $('session').hidden = !signedIn;
  if (!signedIn) {
    document.title = 'Sign in · ProdVisual console';
    showOnly('sign-in');
    if (focus) $('api-key').focus();
    return;
  }
  const badge = $('mode-badge');
  badge.textContent = session.isTest ? 'Test key' : 'Live key';
  badge.className = `badge ${session.isTest ? 'badge-test' : 'badge-live'}`;
  let name = location.hash.replace('#', '');
  if (!views[name]) name = 'overview';
  document.title = `${titles[name]} · ProdVisual console`;
  showOnly(name);
  views[name].show();
  if (focus) focusHeading(name);
}

async function signIn(event) {
  event.preventDefault();
  const input = $('api-key');
  const error = $('sign-in-error');
  const button = event.submitter || document.querySelector('#sign-in-form button');
  const key = input.value.trim();
  showError(error, null);
  if (!key) {
    showError(error, new Error('Enter an API key: it starts with pv_live_ or pv_test_.'));
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  button.disabled = true;
  try {
    // The credits call proves the key: a wrong or revoked one is refused with the server's words.
    await api('/v1/account/credits', { key });
    session.signIn(key);
    input.value = '';
    input.removeAttribute('aria-invalid');
    if (!location.hash || location.hash === '#sign-in') location.hash = '#overview';
    else route();
  } catch (failure) {
    showError(error, failure);
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } finally {
    button.disabled = false;
  }
}

function signOut() {
  session.signOut();
  for (const view of Object.values(views)) view.reset?.();
  window.history.replaceState(null, '', location.pathname);
  route();
}

$('sign-in-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', signOut);
window.addEventListener('hashchange', () => route());
for (const view of Object.values(views)) view.init?.();
route({ focus: false });
