// One job: its facts, live progress and thumbnails (from its event stream), each image's status and attempt history,
// retry and cancel, the archive, and the deliveries to its own webhookUrl with redeliver.
import { api, download, followJobEvents } from './api.js';
import { alert, badge, formatTime, formatUsd, h, replace, table } from './dom.js';
import { progressBar } from './progress.js';

const Unfinished = new Set(['accepted', 'pending', 'generating']);
const Retryable = new Set(['partial', 'failed']);

export async function renderJob(main, { caller }, jobId) {
  const stream = new AbortController();
  const facts = h('div');
  const thumbnails = h('ul', { class: 'thumbnails', 'aria-label': 'Thumbnails' });
  const images = h('div');
  const deliveries = h('div');
  const result = h('div', { role: 'status', class: 'result' });
  const bar = progressBar('Progress of this job', { total: 0, completed: 0, failed: 0, timedOut: 0, cancelled: 0 });
  const retry = h('button', { type: 'button', disabled: true }, 'Retry failed images');
  const cancel = h('button', { type: 'button', disabled: true, class: 'danger' }, 'Cancel job');
  const archive = h('button', { type: 'button' }, 'Download archive (.zip)');
  const title = h('h1', {}, 'Job');
  const thumbnailImages = new Map();

  retry.addEventListener('click', () => act(() => api(`/v1/jobs/${jobId}/retry`, { method: 'POST' }), 'Retry asked for; failed images are tried again.', true));
  cancel.addEventListener('click', () => act(() => api(`/v1/jobs/${jobId}/cancel`, { method: 'POST', body: { reason: 'cancelled from the dashboard' } }), 'Cancel asked for.'));
  archive.addEventListener('click', () => act(() => download(`/v1/jobs/${jobId}/archive.zip`, `job-${jobId}.zip`), 'Archive downloaded.'));

  async function act(action, done, follow = false) {
    const before = latest?.updatedAt;
    try {
      await action();
      replace(result, h('p', {}, done));
      await refresh();
      if (follow) await followOnceMoved(before);
    } catch (error) {
      replace(result, alert(error));
    }
  }

  // A retry is a command the saga takes up a moment later; until it has, the job's old stream would end at its old
  // terminal event. So wait for the job to change (up to a minute), then follow its events again.
  async function followOnceMoved(before) {
    for (let i = 0; i < 60 && !stream.signal.aborted && latest?.updatedAt === before; i++) {
      await new Promise(resolve => setTimeout(resolve, 1000));
      await refresh();
    }
    followEvents();
  }

  let latest = null;
  async function refresh() {
    try {
      latest = await api(`/v1/jobs/${jobId}`, { signal: stream.signal });
    } catch (error) {
      if (!stream.signal.aborted) replace(facts, alert(error));
      return;
    }
    show(latest);
  }

  function show(job) {
    title.textContent = `Job of case ${job.caseId}`;
    bar.update(job.counts);
    retry.disabled = !Retryable.has(job.status) || caller.isAdmin;
    cancel.disabled = !Unfinished.has(job.status) || caller.isAdmin;
    const billing = job.billing;
    replace(facts, h('dl', { class: 'facts' },
      fact('Status', badge(job.status)), fact('Job id', h('code', {}, job.jobId)), fact('Tenant', job.tenantId),
      fact('Model', job.model ?? '–'), fact('Created', formatTime(job.createdAt)), fact('Updated', formatTime(job.updatedAt)),
      fact('Finished', formatTime(job.finishedAt)), fact('Deadline', formatTime(job.deadlineAt)),
      fact('Estimated cost', formatUsd(job.estimatedCostUsd)), fact('Tokens', job.totalTokens ?? '–'),
      fact('Billing', `${billing.billedImages} billed, ${billing.deliveredImages} delivered, ${billing.refundableImages} refundable, ${billing.billedCalls} billed calls`),
      job.failureReason ? fact('Reason', h('span', { class: 'error' }, job.failureReason)) : null));
    showThumbnails(job);
    replace(images, table('Each image', ['Item', 'Name', 'Status', 'Attempt', 'Size', 'Model', 'Cost', 'Billed calls', 'Error', 'Attempt history'],
      job.images.map(image => [
        h('code', {}, image.itemId), `${image.name} (${image.kind})`, badge(image.status), image.attempt,
        image.width ? `${image.width}×${image.height}` : '–', image.model ?? '–', formatUsd(image.estimatedCostUsd),
        `${image.billedCalls}${image.billed ? ' (billed)' : ''}`,
        image.errorCode ? h('span', { class: 'error' }, h('code', {}, image.errorCode), ' ', image.error ?? '') : '–',
        history(image),
      ]), { class: 'images' }));
  }

  // Thumbnails are kept once shown (a refresh only adds the new ones), so images do not flicker as the job moves on.
  function showThumbnails(job) {
    if (thumbnailImages.size === 0) thumbnails.replaceChildren();
    for (const image of job.images) {
      let item = thumbnailImages.get(image.itemId);
      if (!item) {
        item = { element: h('li', { class: 'thumbnail' }), url: null, status: null };
        thumbnailImages.set(image.itemId, item);
        thumbnails.append(item.element);
      }
      if (item.status === image.status && (image.status !== 'completed' || item.url)) continue;
      item.status = image.status;
      if (image.status === 'completed' && image.url) {
        item.url = image.url;
        replace(item.element, thumbnail(image), h('span', {}, image.name));
      } else {
        replace(item.element, h('span', { class: 'placeholder', 'aria-hidden': 'true' }), h('span', {}, image.name, ' ', badge(image.status)));
      }
    }
  }

  // The signed link (no key needed by <img>) of the 256 px rendition, or of the full image where the gateway has no thumb variant.
  function thumbnail(image) {
    const img = h('img', {
      src: `${image.url}&variant=thumb`, alt: `Thumbnail of ${image.name}`, width: 128, height: 128,
    });
    img.addEventListener('error', () => { if (!img.src.endsWith(image.url)) img.src = image.url; }, { once: true });
    return h('a', { href: image.url, target: '_blank', rel: 'noopener' }, img);
  }

  async function loadDeliveries() {
    if (caller.isAdmin) {
      replace(deliveries, h('p', { class: 'note' }, 'Webhook deliveries are the tenant\'s: sign in with its key to see them.'));
      return;
    }
    try {
      const list = await api(`/v1/jobs/${jobId}/webhook-deliveries`, { signal: stream.signal });
      replace(deliveries, list.length === 0
        ? h('p', { class: 'empty' }, 'No deliveries: this job has no webhookUrl of its own, or nothing was sent yet.')
        : table('Deliveries to the job\'s webhookUrl', ['Event', 'Sequence', 'Status', 'Attempts', 'Last answer', 'Last error', 'Created', 'Finished', ''],
          list.map(d => [
            d.eventType, d.sequence, badge(d.status), d.attempts, d.lastStatusCode ?? '–', d.lastError ?? '–',
            formatTime(d.createdAt), formatTime(d.finishedAt),
            h('button', { type: 'button', 'aria-label': `Redeliver ${d.eventType} #${d.sequence}`, onclick: () => redeliver(d.id) }, 'Redeliver'),
          ])));
    } catch (error) {
      if (!stream.signal.aborted) replace(deliveries, alert(error));
    }
  }

  async function redeliver(deliveryId) {
    try {
      await api(`/v1/webhooks/deliveries/${deliveryId}/redeliver`, { method: 'POST' });
      replace(result, h('p', {}, 'Delivery queued again.'));
      setTimeout(loadDeliveries, 1000);
    } catch (error) {
      replace(result, alert(error));
    }
  }

  // Each event moves the bar at once; the status (thumbnails, images) is read again, one read at a time.
  let reading = null;
  let again = false;
  function refreshSoon() {
    if (reading) { again = true; return; }
    reading = refresh().finally(() => {
      reading = null;
      if (again) { again = false; refreshSoon(); }
    });
  }

  function followEvents() {
    followJobEvents(jobId, event => {
      bar.update(event.data.counts);
      refreshSoon();
    }, stream.signal).then(() => { refreshSoon(); loadDeliveries(); })
      .catch(error => { if (!stream.signal.aborted) replace(result, alert(error)); });
  }

  replace(main,
    h('p', {}, h('a', { href: '#/jobs' }, '← Jobs')),
    title,
    h('div', { class: 'toolbar' }, bar.element, retry, cancel, archive),
    caller.isAdmin ? h('p', { class: 'note' }, 'Retry and cancel take the tenant\'s key.') : null,
    result,
    facts,
    h('section', { 'aria-labelledby': 'thumbs-title' }, h('h2', { id: 'thumbs-title' }, 'Images'), thumbnails, images),
    h('section', { 'aria-labelledby': 'deliveries-title' }, h('h2', { id: 'deliveries-title' }, 'Webhook deliveries'), deliveries));
  await refresh();
  loadDeliveries();
  if (latest) followEvents();
  return () => stream.abort();
}

function fact(name, value) {
  return [h('dt', {}, name), h('dd', {}, value)];
}

// Every finished attempt (the current one included) and any late result, oldest first.
function history(image) {
  if (image.history.length === 0) return '–';
  return h('details', {},
    h('summary', {}, `${image.history.length} recorded`),
    h('ol', { class: 'history' }, image.history.map(attempt => h('li', {},
      `Attempt ${attempt.attempt}: `, badge(attempt.status), ` ${formatTime(attempt.at)}`,
      attempt.errorCode ? h('span', { class: 'error' }, ` ${attempt.errorCode}${attempt.error ? ` — ${attempt.error}` : ''}`) : '',
      `, ${attempt.billedCalls} billed calls`))));
}
