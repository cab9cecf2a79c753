// System health (admin keys): GET /v1/admin/system-health, read again every 10 s while the page is open.
import { api } from './api.js';
import { alert, badge, formatMs, formatPercent, formatTime, h, replace, table } from './dom.js';

const RefreshEvery = 10_000;

export function renderHealth(main) {
  const stop = new AbortController();
  const content = h('div', { 'aria-live': 'polite' }, h('p', {}, 'Loading…'));
  const refresh = h('button', { type: 'button' }, 'Refresh');
  let timer = null;

  async function load() {
    clearTimeout(timer);
    try {
      show(await api('/v1/admin/system-health', { signal: stop.signal }));
    } catch (error) {
      if (stop.signal.aborted) return;
      replace(content, alert(error));
    }
    if (!stop.signal.aborted) timer = setTimeout(load, RefreshEvery);
  }
  refresh.addEventListener('click', load);

  function show(health) {
    replace(content,
      h('p', { class: 'note' }, `Figures of ${formatTime(health.generatedAt)}; read again every ${RefreshEvery / 1000} s.`),
      section('Stuck jobs', stuck(health.stuck)),
      section('Queues', health.queuesError
        ? alert({ message: `Queue figures unavailable: ${health.queuesError}` })
        : table('Queues (RabbitMQ)', ['Queue', 'Ready', 'Unacked', 'Consumers', '_error', '_skipped'],
          health.queues.map(q => [h('code', {}, q.name), q.ready, q.unacked, q.consumers, number(q.error, 'bad'), number(q.skipped, 'warn')]),
          { class: 'queues' })),
      section('Jobs by state', table('Jobs by state', ['State', 'Jobs'],
        Object.entries(health.jobsByState ?? {}).map(([state, count]) => [badge(state), count]))),
      section('Processing time, last hour', table('Processing time, last hour', ['', 'p50', 'p95', 'Count'], [
        ['Image', formatMs(health.imageDurationMs?.p50), formatMs(health.imageDurationMs?.p95), health.imageDurationMs?.count ?? 0],
        ['Job', formatMs(health.jobDurationMs?.p50), formatMs(health.jobDurationMs?.p95), health.jobDurationMs?.count ?? 0],
      ])),
      section('Failures', table('Failure rate by error code', ['Window', 'Images', 'Failed', 'Rate', 'By error code'], [
        failureRow('Last hour', health.failures?.lastHour), failureRow('Last day', health.failures?.lastDay),
      ])),
      section('Gemini budget', gemini(health.geminiBudget)),
      section('Failing webhook endpoints', (health.failingWebhookEndpoints ?? []).length === 0
        ? h('p', { class: 'ok' }, 'No failing webhook endpoints.')
        : table('Failing webhook endpoints', ['Endpoint', 'Tenant', 'URL', 'Failing deliveries', 'Last error', 'Last attempt'],
          health.failingWebhookEndpoints.map(e => [h('code', {}, e.endpointId.slice(0, 8)), e.tenantId, e.url, e.failingDeliveries,
            h('span', { class: 'error' }, e.lastError ?? '–'), formatTime(e.lastAttemptAt)]))),
      section('Dead letters', h('p', {},
        `${health.deadLetters?.failed ?? 0} failed messages in ${health.deadLetters?.groups ?? 0} groups. `,
        h('a', { href: '#/dead-letters' }, 'Open dead letters'))));
  }

  replace(main, h('div', { class: 'heading' }, h('h1', {}, 'System health'), refresh), content);
  load();
  return () => { stop.abort(); clearTimeout(timer); };
}

function section(title, ...content) {
  const id = `health-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), content);
}

function number(value, tone) {
  return h('span', { class: value > 0 ? tone : null }, value);
}

function stuck(report) {
  if (!report || report.count === 0) return h('p', { class: 'ok' }, 'No stuck jobs.');
  return [
    h('p', { class: 'bad' }, `${report.count} stuck ${report.count === 1 ? 'job' : 'jobs'}.`),
    table('Stuck jobs', ['Job', 'Tenant', 'Status', 'Deadline', 'Overdue', 'Why'],
      report.jobs.map(j => [h('a', { href: `#/jobs/${j.jobId}` }, h('code', {}, j.jobId.slice(0, 8))), j.tenantId, badge(j.status),
        formatTime(j.deadlineAt), `${j.overdueSeconds} s`, j.reason])),
  ];
}

function failureRow(window, figures) {
  const byCode = Object.entries(figures?.byErrorCode ?? {});
  return [window, figures?.total ?? 0, figures?.failed ?? 0, formatPercent(figures?.rate),
    byCode.length === 0 ? '–' : h('ul', { class: 'codes' }, byCode.map(([code, count]) => h('li', {}, h('code', {}, code), ` ${count}`)))];
}

function gemini(budget) {
  if (!budget) return h('p', {}, '–');
  const meter = h('meter', { min: 0, max: budget.requestsPerMinute, value: budget.callsLastMinute, 'aria-label': 'Gemini calls in the last minute against the budget' });
  return h('p', {}, meter, ` ${budget.callsLastMinute} calls in the last minute of ${budget.requestsPerMinute} per minute; `,
    h('span', { class: budget.rateLimitedLastHour > 0 ? 'warn' : null }, `${budget.rateLimitedLastHour} rate-limited (429) in the last hour`), '.');
}
