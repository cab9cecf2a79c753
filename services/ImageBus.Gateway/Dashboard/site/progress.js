// A job's progress: finished images (any end) of all, as a progress bar with the count beside it.
import { h } from './dom.js';

export function finished(counts) {
  return counts.completed + counts.failed + counts.timedOut + counts.cancelled;
}

/** A progress bar named for the job (label), kept current by update(counts). */
export function progressBar(label, counts) {
  const bar = h('progress', { 'aria-label': label });
  const text = h('span', { class: 'progress-text' });
  const element = h('span', { class: 'progress' }, bar, text);
  const update = next => {
    bar.max = Math.max(next.total, 1);
    bar.value = finished(next);
    bar.setAttribute('aria-valuetext', `${finished(next)} of ${next.total} images finished`);
    text.textContent = `${finished(next)}/${next.total}`;
  };
  update(counts);
  return { element, update };
}
