// Jobs: the key's jobs with filters and keyset paging, a live progress bar per unfinished job, and a form to submit a case.
import { api, followJobEvents, TerminalEvents } from './api.js';
import { alert, badge, formatTime, h, replace, table } from './dom.js';
import { progressBar } from './progress.js';

const Statuses = ['accepted', 'pending', 'generating', 'completed', 'partial', 'failed', 'cancelled', 'rejected'];
const Unfinished = new Set(['accepted', 'pending', 'generating']);
const PageSize = 20;

export function renderJobs(main, { caller }) {
  const pageStreams = new AbortController();
  let rowStreams = new AbortController();
  const state = { filters: {}, cursors: [], cursor: null };

  const status = h('select', { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'any'), Statuses.map(s => h('option', { value: s }, s)));
  const caseId = h('input', { id: 'filter-case', name: 'caseId', type: 'search', autocomplete: 'off' });
  const tenant = caller.isAdmin ? h('input', { id: 'filter-tenant', name: 'tenantId', type: 'search', autocomplete: 'off' }) : null;
  const from = h('input', { id: 'filter-from', name: 'createdFrom', type: 'datetime-local', step: 1 });
  const to = h('input', { id: 'filter-to', name: 'createdTo', type: 'datetime-local', step: 1 });
  const filters = h('form', { class: 'filters', 'aria-label': 'Job filters' },
    field('Status', status), field('Case id', caseId), tenant ? field('Tenant', tenant) : null,
    field('Created from', from), field('Created before', to),
    h('button', { type: 'submit' }, 'Apply filters'),
    h('button', { type: 'reset' }, 'Clear'));
  filters.addEventListener('submit', event => {
    event.preventDefault();
    state.filters = {
      status: status.value, caseId: caseId.value.trim(), tenantId: tenant?.value.trim(),
      createdFrom: from.value ? new Date(from.value).toISOString() : '', createdTo: to.value ? new Date(to.value).toISOString() : '',
    };
    state.cursors = [];
    state.cursor = null;
    load();
  });
  filters.addEventListener('reset', () => setTimeout(() => filters.requestSubmit()));

  const list = h('div', { 'aria-live': 'polite' });
  const previous = h('button', { type: 'button', disabled: true }, '← Previous page');
  const next = h('button', { type: 'button', disabled: true }, 'Next page →');
  let nextCursor = null;
  previous.addEventListener('click', () => { state.cursor = state.cursors.pop() ?? null; load(); });
  next.addEventListener('click', () => { state.cursors.push(state.cursor); state.cursor = nextCursor; load(); });

  async function load() {
    rowStreams.abort();
    rowStreams = new AbortController();
    const query = new URLSearchParams({ limit: PageSize });
    for (const [name, value] of Object.entries(state.filters)) if (value) query.set(name, value);
    if (state.cursor) query.set('cursor', state.cursor);
    let page;
    try {
      page = await api(`/v1/jobs?${query}`, { signal: pageStreams.signal });
    } catch (error) {
      if (!pageStreams.signal.aborted) replace(list, alert(error));
      return null;
    }
    nextCursor = page.nextCursor;
    next.disabled = !nextCursor;
    previous.disabled = state.cursors.length === 0;
    replace(list, page.items.length === 0
      ? h('p', { class: 'empty' }, 'No jobs match.')
      : table('Jobs, newest first', ['Job', 'Case', ...(caller.isAdmin ? ['Tenant'] : []), 'Status', 'Progress', 'Created'],
        page.items.map(job => row(job, caller, rowStreams.signal)), { class: 'jobs' }));
    return page;
  }

  const submit = caller.isAdmin
    ? h('p', { class: 'note' }, 'An admin key reads every tenant\'s jobs; submitting takes a tenant\'s key.')
    : submitForm(async jobId => {
      // A job is listed once the orchestrator has taken it on, milliseconds after 202: look again until it is.
      for (let attempt = 0; attempt < 20 && !pageStreams.signal.aborted; attempt++) {
        const page = await load();
        if (!page || page.items.some(j => j.jobId === jobId)) return;
        await new Promise(resolve => setTimeout(resolve, 500));
      }
    });

  replace(main,
    h('h1', {}, 'Jobs'),
    submit,
    h('section', { 'aria-labelledby': 'jobs-title' },
      h('h2', { id: 'jobs-title' }, caller.isAdmin ? 'All tenants\' jobs' : `Jobs of ${caller.tenantId}`),
      filters, list, h('div', { class: 'pager' }, previous, next)));
  load();
  return () => { pageStreams.abort(); rowStreams.abort(); };
}

function field(label, input) {
  return h('span', { class: 'field' }, h('label', { for: input.id }, label), input);
}

function row(job, caller, signal) {
  const statusCell = h('td', {}, badge(job.status));
  const bar = progressBar(`Progress of job ${job.caseId}`, job.counts);
  const tr = h('tr', { 'data-job-id': job.jobId },
    h('td', {}, h('a', { href: `#/jobs/${job.jobId}` }, h('code', {}, job.jobId.slice(0, 8)))),
    h('td', {}, job.caseId),
    caller.isAdmin ? h('td', {}, job.tenantId) : null,
    statusCell,
    h('td', {}, bar.element),
    h('td', {}, formatTime(job.createdAt)));
  if (Unfinished.has(job.status)) {
    followJobEvents(job.jobId, event => {
      bar.update(event.data.counts);
      replace(statusCell, badge(event.data.status));
      if (TerminalEvents.has(event.type)) tr.dataset.finished = 'true';
    }, signal).catch(error => { if (!signal.aborted) statusCell.append(' ', h('span', { class: 'error' }, error.message)); });
  }
  return tr;
}

function submitForm(onSubmitted) {
  const json = h('textarea', { id: 'case-json', name: 'case', rows: 10, spellcheck: 'false', placeholder: '{ "caseId": "…", "items": [ … ] }' });
  const result = h('div', { role: 'status', class: 'result' });
  const sample = h('button', { type: 'button' }, 'Fill in the sample case');
  sample.addEventListener('click', async () => {
    const response = await fetch('/sample-case.json');
    json.value = JSON.stringify(await response.json(), null, 2);
  });
  const form = h('form', { class: 'card', 'aria-labelledby': 'submit-title' },
    h('h2', { id: 'submit-title' }, 'Submit a case'),
    h('label', { for: 'case-json' }, 'Case JSON (the body of POST /v1/jobs)'), json,
    h('div', { class: 'actions' }, sample, h('button', { type: 'submit', class: 'primary' }, 'Submit case')),
    result);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse(json.value);
    } catch (error) {
      replace(result, alert({ message: `This is not JSON: ${error.message}` }));
      return;
    }
    try {
      const accepted = await api('/v1/jobs', { method: 'POST', body });
      replace(result, h('p', {}, 'Accepted job ', h('a', { href: `#/jobs/${accepted.jobId}` }, accepted.jobId), ` (${accepted.status}).`));
      await onSubmitted(accepted.jobId);
    } catch (error) {
      replace(result, alert(error));
    }
  });
  return form;
}
