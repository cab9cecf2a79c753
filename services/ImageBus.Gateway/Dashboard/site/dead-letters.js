// Dead letters (admin keys): every message that reached an _error queue, in groups of the same exception, message and
// message type; each group opens to its messages; retry or delete one, a group or all; the audit of who did what.
import { api } from './api.js';
import { alert, formatTime, h, replace, table } from './dom.js';

const MessagesPerPage = 50;

export function renderDeadLetters(main) {
  const stop = new AbortController();
  const groups = h('div', { 'aria-live': 'polite' }, h('p', {}, 'Loading…'));
  const audit = h('div');
  const result = h('div', { role: 'status', class: 'result' });
  const retryAll = h('button', { type: 'button', class: 'primary' }, 'Retry all');
  const deleteAll = h('button', { type: 'button', class: 'danger' }, 'Delete all');
  retryAll.addEventListener('click', () => act('retry', { all: true }, 'all'));
  deleteAll.addEventListener('click', () => act('delete', { all: true }, 'all'));

  async function act(action, selector, what) {
    if (action === 'delete' && !confirm(`Delete ${what}? Deleted messages are not sent again.`)) return;
    try {
      const answer = await api(`/v1/admin/dead-letters/${action}`, { method: 'POST', body: selector });
      replace(result, h('p', {}, action === 'retry'
        ? `Retried ${answer.retried} ${answer.retried === 1 ? 'message' : 'messages'} (${what}).`
        : `Deleted ${answer.deleted} ${answer.deleted === 1 ? 'message' : 'messages'} (${what}).`));
    } catch (error) {
      // The broker refusing part-way through a retry (503) leaves the ones before it sent: say how many.
      const retried = error.problem?.retried;
      replace(result, alert(error), Number.isInteger(retried)
        ? h('p', {}, `${retried} ${retried === 1 ? 'message was' : 'messages were'} sent back before the refusal; the rest are still here.`)
        : null);
    }
    await Promise.all([loadGroups(), loadAudit()]);
  }

  async function loadGroups() {
    try {
      const answer = await api('/v1/admin/dead-letters/groups', { signal: stop.signal });
      retryAll.disabled = deleteAll.disabled = answer.groups.length === 0;
      replace(groups, answer.groups.length === 0
        ? h('p', { class: 'ok' }, 'No failed messages.')
        : table('Failed message groups', ['Exception', 'Message', 'Message type', 'Messages', 'Queues', 'First', 'Last', ''],
          answer.groups.flatMap(group => groupRows(group)), { class: 'groups' }));
    } catch (error) {
      if (!stop.signal.aborted) replace(groups, alert(error));
    }
  }

  function groupRows(group) {
    const detailsRow = h('tr', { class: 'group-messages', hidden: true }, h('td', { colspan: 8 }));
    const toggle = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-label': `Show messages of group ${group.exceptionType}: ${group.message}` }, 'Show messages');
    toggle.addEventListener('click', async () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      toggle.textContent = open ? 'Hide messages' : 'Show messages';
      detailsRow.hidden = !open;
      if (open) await loadMessages(detailsRow.firstChild, group.groupId, null);
    });
    const name = `${group.exceptionType}: ${group.message}`;
    return [
      h('tr', { 'data-group-id': group.groupId },
        h('td', {}, h('code', {}, group.exceptionType)), h('td', {}, group.message), h('td', {}, h('code', {}, shortType(group.messageType))),
        h('td', {}, group.count), h('td', {}, group.queues.join(', ')), h('td', {}, formatTime(group.firstAt)), h('td', {}, formatTime(group.lastAt)),
        h('td', { class: 'actions' }, toggle,
          h('button', { type: 'button', 'aria-label': `Retry group ${name}`, onclick: () => act('retry', { groupId: group.groupId }, `group ${group.exceptionType}`) }, 'Retry group'),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Delete group ${name}`, onclick: () => act('delete', { groupId: group.groupId }, `group ${group.exceptionType}`) }, 'Delete group'))),
      detailsRow,
    ];
  }

  async function loadMessages(cell, groupId, cursor) {
    const query = new URLSearchParams({ groupId, limit: MessagesPerPage });
    if (cursor) query.set('cursor', cursor);
    try {
      const page = await api(`/v1/admin/dead-letters?${query}`, { signal: stop.signal });
      const more = page.nextCursor
        ? h('button', { type: 'button', onclick: () => loadMessages(cell, groupId, page.nextCursor) }, 'Next messages →')
        : null;
      replace(cell, h('ul', { class: 'messages', 'aria-label': 'Failed messages' }, page.items.map(message)), more);
    } catch (error) {
      replace(cell, alert(error));
    }
  }

  function message(m) {
    return h('li', { class: 'card message' },
      h('dl', { class: 'facts' },
        fact('Exception', h('code', {}, m.exceptionType)), fact('Message', m.exceptionMessage),
        fact('Queue', `${m.errorQueue} (from ${m.sourceQueue})`), fact('Message type', h('code', {}, shortType(m.messageType))),
        fact('Consumer', m.consumerType ?? '–'), fact('Host', m.host ?? '–'), fact('Faulted', formatTime(m.faultedAt)),
        fact('Retry count', m.retryCount), fact('Status', m.status),
        fact('Job', m.jobId ? h('a', { href: `#/jobs/${m.jobId}` }, h('code', {}, m.jobId)) : '–'), fact('Tenant', m.tenantId ?? '–')),
      h('details', {}, h('summary', {}, 'Stack trace'), h('pre', {}, m.stackTrace ?? '')),
      m.status === 'failed' ? h('div', { class: 'actions' },
        h('button', { type: 'button', 'aria-label': `Retry message ${m.id}`, onclick: () => act('retry', { ids: [m.id] }, 'one message') }, 'Retry'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete message ${m.id}`, onclick: () => act('delete', { ids: [m.id] }, 'one message') }, 'Delete'))
        : null);
  }

  async function loadAudit() {
    try {
      const answer = await api('/v1/admin/dead-letters/audit?limit=50', { signal: stop.signal });
      replace(audit, answer.entries.length === 0
        ? h('p', { class: 'empty' }, 'Nothing retried or deleted yet.')
        : table('Retries and deletions, newest first', ['When', 'Who', 'Action', 'Which', 'Messages'],
          answer.entries.map(e => [formatTime(e.at), e.actor, e.action, e.selector, e.count]), { class: 'audit' }));
    } catch (error) {
      if (!stop.signal.aborted) replace(audit, alert(error));
    }
  }

  replace(main,
    h('div', { class: 'heading' }, h('h1', {}, 'Dead letters'), h('div', { class: 'actions' }, retryAll, deleteAll)),
    result,
    h('section', { 'aria-labelledby': 'groups-title' }, h('h2', { id: 'groups-title' }, 'Groups'), groups),
    h('section', { 'aria-labelledby': 'audit-title' }, h('h2', { id: 'audit-title' }, 'Audit'), audit));
  loadGroups();
  loadAudit();
  return () => stop.abort();
}

function fact(name, value) {
  return [h('dt', {}, name), h('dd', {}, value)];
}

/** urn:message:ImageBus.Contracts:GenerateImage → GenerateImage (the full name in its title). */
function shortType(urn) {
  return urn ? urn.split(':').pop() : '–';
}
