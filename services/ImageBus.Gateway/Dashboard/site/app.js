// The dashboard's shell: sign-in with an API key, the hash router (#/jobs, #/jobs/{id}, #/health, #/dead-letters) and
// the navigation; each page is a module with render(main, context) that may return a function to stop it.
import { api, ApiError, onKeyRefused, session } from './api.js';
import { alert, h, replace } from './dom.js';
import { renderJobs } from './jobs.js';
import { renderJob } from './job.js';
import { renderHealth } from './health.js';
import { renderDeadLetters } from './dead-letters.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

let caller = null;
let stopPage = null;

const routes = [
  { pattern: /^#\/jobs\/([0-9a-f-]{36})$/i, render: (context, id) => renderJob(main, context, id), title: 'Job' },
  { pattern: /^#\/jobs$/, render: context => renderJobs(main, context), title: 'Jobs' },
  { pattern: /^#\/health$/, render: context => renderHealth(main, context), title: 'System health', admin: true },
  { pattern: /^#\/dead-letters$/, render: context => renderDeadLetters(main, context), title: 'Dead letters', admin: true },
];

function signInPage(message) {
  const key = h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h('form', { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    h('p', {}, 'Paste an API key: a tenant key (ibk_…) shows its jobs; an admin key also shows the operations pages. ',
      'The key stays in this tab only (session storage) and goes to the gateway as Authorization: Bearer.'),
    message ? alert({ message }) : null,
    h('label', { for: 'api-key' }, 'API key'), key,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    session.signIn(key.value.trim());
    await start();
  });
  replace(main, form);
  key.focus();
}

function showSignedIn() {
  nav.hidden = false;
  for (const link of nav.querySelectorAll('[data-admin]')) link.hidden = !caller.isAdmin;
  replace(who,
    h('span', {}, caller.isAdmin ? `Admin key ${caller.keyId}` : `Tenant ${caller.tenantId} (key ${caller.keyId})`),
    h('button', { type: 'button', onclick: signOut }, 'Sign out'));
}

function signOut(message) {
  session.signOut();
  caller = null;
  stopPage?.();
  stopPage = null;
  nav.hidden = true;
  who.replaceChildren();
  if (location.hash !== '') history.replaceState(null, '', location.pathname);
  signInPage(typeof message === 'string' ? message : null);
}

async function route() {
  stopPage?.();
  stopPage = null;
  if (!caller) return;
  const hash = location.hash || '#/jobs';
  for (const link of nav.querySelectorAll('a')) {
    if (hash === link.getAttribute('href') || hash.startsWith(`${link.getAttribute('href')}/`)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const found = routes.map(r => ({ r, match: r.pattern.exec(hash) })).find(x => x.match);
  if (!found) {
    location.replace('#/jobs');
    return;
  }
  document.title = `${found.r.title} · ImageBus`;
  if (found.r.admin && !caller.isAdmin) {
    replace(main, h('h1', {}, found.r.title), alert({ message: 'This page needs an admin key; this key is a tenant\'s.' }));
    return;
  }
  const stop = await found.r.render({ caller }, ...found.match.slice(1));
  stopPage = typeof stop === 'function' ? stop : null;
}

async function start() {
  if (!session.key) {
    signInPage();
    return;
  }
  try {
    caller = await api('/v1/me');
  } catch (error) {
    signOut(error instanceof ApiError && error.status === 401 ? 'The gateway refused this key (unknown, revoked or garbled).' : error.message);
    return;
  }
  showSignedIn();
  if (!location.hash) history.replaceState(null, '', '#/jobs');
  await route();
}

onKeyRefused(() => { if (caller) signOut('The gateway refused the key (it may have been revoked): sign in again.'); });
window.addEventListener('hashchange', route);
start();
