// Playground: one generation from an uploaded photo (or an image URL), shown against the
// upload with a before/after slider, with its compliance report as a checklist.
import { api, session } from './api.js';
import { $, h, clear, showError, formatBytes, formatMs, plural } from './dom.js';

const TEXT_FIELDS = ['headline', 'subheadline', 'features', 'badge', 'width_label', 'height_label'];
// The text fields each style draws; a style not named here is offered all of them.
const TEXT_FIELDS_BY_STYLE = {
  infographic: ['headline', 'features'],
  hero_banner: ['headline', 'subheadline'],
  sale_badge: ['badge', 'headline'],
  dimensions: ['width_label', 'height_label'],
  social_square: ['headline', 'subheadline', 'badge'],
  social_story: ['headline', 'subheadline', 'badge'],
};
const TEXT_INPUTS = {
  headline: 'text-headline', subheadline: 'text-subheadline', features: 'text-features',
  badge: 'text-badge', width_label: 'text-width', height_label: 'text-height',
};
const RULE_NAMES = {
  pixel_size: 'Pixel size', format: 'Format', file_size: 'File size',
  product_fill: 'Product fill', background: 'White background', no_text: 'No added text or watermark',
};

let styles = [];
let platforms = [];
let catalogueLoaded = null;
let beforeURL = null;
let running = false;

export function init() {
  $('style').addEventListener('change', styleChanged);
  $('platform').addEventListener('change', platformChanged);
  $('use-background').addEventListener('change', () => { $('background').disabled = !$('use-background').checked; });
  $('generate-form').addEventListener('submit', generate);
  $('compare-slider').addEventListener('input', slide);
  $('photo').addEventListener('change', () => { if ($('photo').files.length) $('image-url').value = ''; });
}

export function reset() {
  $('result').hidden = true;
  $('generate-form').reset();
  showError($('generate-error'), null);
  if (beforeURL) URL.revokeObjectURL(beforeURL);
  beforeURL = null;
}

export async function show() {
  const notice = $('playground-mode');
  notice.hidden = !session.isTest;
  notice.textContent = session.isTest
    ? 'Signed in with a test key: generations are free and carry a SAMPLE watermark, as in the API.'
    : '';
  try {
    await loadCatalogue();
  } catch (failure) {
    catalogueLoaded = null;
    showError($('generate-error'), failure);
  }
}

function loadCatalogue() {
  catalogueLoaded ??= (async () => {
    const [styleList, platformList] = await Promise.all([api('/v1/styles'), api('/v1/platforms')]);
    styles = styleList.styles;
    const styleSelect = clear($('style'));
    const compareSelect = clear($('compare-style'));
    for (const style of styles) {
      styleSelect.append(h('option', { value: style.id }, `${style.name} (${style.id})`));
      if (style.id !== 'comparison') compareSelect.append(h('option', { value: style.id, selected: style.id === 'white_bg' }, style.name));
    }
    styleSelect.value = styles.some((style) => style.id === 'white_bg') ? 'white_bg' : styles[0].id;
    platforms = platformList.platforms;
    const platformSelect = clear($('platform'));
    for (const platform of platforms) platformSelect.append(h('option', { value: platform.id }, platform.name));
    platformSelect.value = 'generic';
    platformChanged();
    styleChanged();
  })();
  return catalogueLoaded;
}

function platformName(id) {
  return (platforms.find((platform) => platform.id === id) || { name: id }).name;
}

/** The preset's size, default format and fill under the select. */
function platformChanged() {
  const platform = platforms.find((entry) => entry.id === $('platform').value);
  $('platform-help').textContent = platform
    ? `${platform.default_dimensions}, ${platform.default_format.toUpperCase()} by default; the product fills ${Math.round(platform.product_fill * 100)}%.`
    : '';
}

function currentStyle() {
  return styles.find((style) => style.id === $('style').value);
}

/** Shows the style's preview and only the options it takes. */
function styleChanged() {
  const style = currentStyle();
  if (!style) return;
  const preview = $('style-preview');
  preview.src = `/console/previews/${encodeURIComponent(style.id)}.jpg`;
  preview.alt = `An example of the ${style.name} style`;
  $('style-description').textContent = style.description;

  const parameters = new Set(style.parameters);
  const textFields = parameters.has('text') ? (TEXT_FIELDS_BY_STYLE[style.id] || TEXT_FIELDS) : [];
  let any = false;
  for (const field of document.querySelectorAll('#style-fields [data-param]')) {
    const name = field.dataset.param;
    const shown = parameters.has(name) && (name !== 'scene' || (style.scenes || []).length > 0);
    field.hidden = !shown;
    any ||= shown;
  }
  for (const field of document.querySelectorAll('#style-fields [data-text]')) {
    field.hidden = !textFields.includes(field.dataset.text);
    any ||= !field.hidden;
  }
  // A row whose fields are all hidden takes no room.
  for (const row of document.querySelectorAll('#style-fields .row')) {
    row.hidden = [...row.children].every((child) => child.hidden);
  }
  const scene = clear($('scene'));
  scene.append(h('option', { value: '' }, 'Any (chosen from the photo)'));
  for (const name of style.scenes || []) scene.append(h('option', { value: name }, name.replaceAll('_', ' ')));
  $('style-fields').hidden = !any;
}

/** The request's fields, from the visible inputs only. */
function collect() {
  const style = currentStyle();
  const fields = { style: style.id, platform: $('platform').value };
  const visible = (element) => !element.closest('[hidden]');
  if ($('format').value) fields.format = $('format').value;
  const dimensions = $('dimensions').value.trim().replace(/\s+/g, '').replace('×', 'x');
  if (dimensions) fields.dimensions = dimensions;
  if (visible($('scene')) && $('scene').value) fields.scene = $('scene').value;
  if (visible($('background')) && $('use-background').checked) fields.background = $('background').value;
  if (visible($('compare-style')) && $('compare-style').value) fields.compare_style = $('compare-style').value;
  if (visible($('colors')) && $('colors').value.trim()) {
    fields.colors = $('colors').value.split(/[\s,]+/).filter(Boolean);
  }
  const text = {};
  for (const [name, id] of Object.entries(TEXT_INPUTS)) {
    const input = $(id);
    if (!visible(input) || !input.value.trim()) continue;
    text[name] = name === 'features'
      ? input.value.split('\n').map((line) => line.trim()).filter(Boolean)
      : input.value.trim();
  }
  if (Object.keys(text).length) fields.text = text;
  return fields;
}

async function generate(event) {
  event.preventDefault();
  if (running) return;
  const error = $('generate-error');
  showError(error, null);
  const file = $('photo').files[0];
  const url = $('image-url').value.trim();
  if (!file && !url) {
    showError(error, new Error('Choose a photo to upload, or give an image URL.'));
    $('photo').focus();
    return;
  }
  if (!currentStyle()) {
    showError(error, new Error('The styles could not be loaded; reload the page.'));
    return;
  }
  const fields = collect();
  let request;
  if (file) {
    const form = new FormData();
    form.append('image', file, file.name);
    for (const [name, value] of Object.entries(fields)) {
      if (name === 'text') form.append(name, JSON.stringify(value));
      else if (name === 'colors') form.append(name, value.join(','));
      else form.append(name, value);
    }
    request = { method: 'POST', form };
  } else {
    request = { method: 'POST', json: { image_url: url, ...fields } };
  }

  running = true;
  const button = $('generate');
  button.disabled = true;
  const result = $('result');
  result.setAttribute('aria-busy', 'true');
  const stopProgress = startProgress();
  try {
    const generation = await api('/v1/generate', request);
    stopProgress(`Done in ${formatMs(generation.generation_time_ms)}.`);
    showResult(generation, file);
  } catch (failure) {
    stopProgress('');
    showError(error, failure);
  } finally {
    running = false;
    button.disabled = false;
    result.setAttribute('aria-busy', 'false');
  }
}

/** An indeterminate bar and the seconds elapsed, announced politely; returns its stop function. */
function startProgress() {
  const region = clear($('progress'));
  const label = h('span', {}, 'Rendering… 0 s');
  region.append(h('progress', { 'aria-label': 'Rendering' }), label);
  const started = performance.now();
  const timer = setInterval(() => {
    label.textContent = `Rendering… ${Math.round((performance.now() - started) / 1000)} s`;
  }, 1000);
  return (message) => {
    clearInterval(timer);
    clear(region).append(message);
  };
}

function showResult(generation, file) {
  const result = $('result');
  const [width, height] = generation.dimensions.split('x').map(Number);
  const compare = $('compare');
  compare.style.aspectRatio = `${width} / ${height}`;
  const after = $('after-image');
  after.src = generation.output_url;
  after.alt = `The generated ${generation.style} image, ${generation.dimensions}`;

  if (beforeURL) URL.revokeObjectURL(beforeURL);
  beforeURL = file ? URL.createObjectURL(file) : null;
  for (const id of ['before-clip', 'slider-field', 'divider', 'before-label']) $(id).hidden = !beforeURL;
  if (beforeURL) {
    $('before-image').src = beforeURL;
    $('compare-slider').value = '50';
    slide();
  }

  const parts = [
    `${generation.dimensions} ${generation.format.toUpperCase()}, ${formatBytes(generation.file_size)}`,
    `rendered in ${formatMs(generation.generation_time_ms)}`,
    generation.credits_used > 0 ? `${plural(generation.credits_used, 'credit')} used` : 'free (test key)',
  ];
  if (generation.credits_remaining !== undefined && generation.credits_remaining !== null) {
    parts.push(`${plural(generation.credits_remaining, 'credit')} left`);
  }
  $('result-meta').textContent = `${parts.join(' · ')}.`;
  const download = $('download');
  download.href = generation.output_url;
  download.download = `${generation.id}.${generation.format === 'jpeg' ? 'jpg' : generation.format}`;
  download.textContent = `Download ${generation.format.toUpperCase()}`;
  renderCompliance(generation.compliance);
  result.hidden = false;
  $('result-title').tabIndex = -1;
  $('result-title').focus();
}

function slide() {
  const shown = Number($('compare-slider').value);
  $('before-clip').style.clipPath = `inset(0 ${100 - shown}% 0 0)`;
  $('divider').style.left = `${shown}%`;
  $('compare-slider').setAttribute('aria-valuetext', `${shown}% original, ${100 - shown}% generated`);
}

function renderCompliance(report) {
  const list = clear($('compliance'));
  const summary = $('compliance-summary');
  if (!report) {
    summary.textContent = 'No compliance report for this output.';
    return;
  }
  summary.textContent = report.summary;
  const verdicts = [
    ['Main image', report.main_image],
    ['Additional image', report.additional_image],
  ];
  for (const [label, verdict] of verdicts) {
    if (!verdict) continue;
    list.append(checkItem(verdict.verdict === 'pass', `${label} on ${platformName(report.platform)}`,
      verdict.verdict === 'pass' ? 'passes' : `fails: ${verdict.failed_rules.map((rule) => RULE_NAMES[rule] || rule).join(', ')}`, 'verdict'));
  }
  for (const rule of report.rules) {
    const advisory = rule.applies_to === 'advisory';
    const scope = rule.applies_to === 'main' ? ' (main image)' : advisory ? ' (advice)' : '';
    list.append(checkItem(rule.pass, `${RULE_NAMES[rule.rule] || rule.rule}${scope}`,
      `${formatValue(rule)}; needs ${formatLimit(rule)}`, advisory && !rule.pass ? 'advisory' : ''));
  }
}

function checkItem(pass, title, detail, extraClass) {
  const state = pass ? 'Pass' : (extraClass === 'advisory' ? 'Advice' : 'Fail');
  return h('li', { className: `check ${pass ? 'pass' : 'fail'} ${extraClass}` },
    h('span', { className: 'check-mark', 'aria-hidden': 'true' }, pass ? '✓' : (extraClass === 'advisory' ? '!' : '✗')),
    h('span', { className: 'check-body' },
      h('span', { className: 'visually-hidden' }, `${state}: `),
      h('strong', {}, title), ' ', h('span', { className: 'check-detail' }, detail)));
}

/** The rule's limit in words: ≥ and ≤, bytes and shares as people read them. */
function formatLimit(rule) {
  const number = Number((rule.limit.match(/[\d.]+/) || [])[0]);
  switch (rule.rule) {
    case 'file_size': return `≤ ${formatBytes(number)}`;
    case 'product_fill': return `≥ ${Math.round(number * 100)}% of the frame`;
    case 'background': return `≥ ${Math.round(number * 100)}% of the background pure white${rule.limit.includes('recommended') ? ' (recommended)' : ''}`;
    default: return rule.limit.replaceAll('>=', '≥').replaceAll('<=', '≤');
  }
}

function formatValue(rule) {
  const value = rule.value;
  switch (rule.rule) {
    case 'file_size': return formatBytes(value);
    case 'pixel_size': return `${value} px longest side`;
    case 'product_fill': return `spans ${(value * 100).toFixed(1)}%`;
    case 'background': return `${(value * 100).toFixed(1)}% pure white`;
    default: return String(value);
  }
}
