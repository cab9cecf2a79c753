// Small DOM helpers: every text from an answer goes in as text, never as HTML.

/** Creates an element: h('button', { type: 'button', onclick: f }, 'Retry'). Attributes false or null are left out. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'value') element.value = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces an element's content. */
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

export function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '–';
}

export function formatMs(ms) {
  if (ms === null || ms === undefined) return '–';
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function formatUsd(value) {
  return value === null || value === undefined ? '–' : `$${Number(value).toFixed(4)}`;
}

export function formatPercent(rate) {
  return rate === null || rate === undefined ? '–' : `${(rate * 100).toFixed(1)} %`;
}

/** A table with a caption, header cells and rows of cells (each row an array; a Node or text per cell). */
export function table(caption, headers, rows, attributes = {}) {
  return h('table', attributes,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map(name => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, rows.map(cells => Array.isArray(cells) ? h('tr', {}, cells.map(cell => h('td', {}, cell))) : cells)));
}

/** The status of a job or image as a coloured badge. */
export function badge(status) {
  return h('span', { class: `badge badge-${status}` }, status.replace('_', ' '));
}

/** A problem shown where the content would be (role=alert, so it is read out). */
export function alert(error) {
  return h('div', { class: 'alert', role: 'alert' }, error.message ?? String(error));
}
