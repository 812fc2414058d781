/*
 * Gatehouse agent passcode look-up widget (back office / CRM).
 *
 * Plain ES2020, no dependencies, no build step. Embed with:
 *
 *   <link rel="stylesheet" href="/widgets/widget.css">
 *   <div class="gh-widget" data-gh-widget="agent"
 *        data-api-url="https://auth.example.com" data-api-ver="v2"
 *        data-tenant-id="YOUR-TENANT-ID" data-api-key="YOUR-API-KEY"></div>
 *   <script src="/widgets/agent.js"></script>
 *
 * Configuration is read from the root element's data-* attributes first, then
 * from window.GatehouseWidgetConfig = { apiUrl, apiVer, tenantID, apiKey }.
 * The API key is a secret: only serve this widget inside the trusted back office.
 *
 * API data is only ever written with textContent / setAttribute, never as HTML.
 */
(() => {
  'use strict';

  const WIDGET = 'agent';
  const SELECTOR = '[data-gh-widget="agent"]';
  const REQUEST_TIMEOUT_MS = 15000;

  const TEXT = {
    title: 'Prove you are genuine',
    intro: 'Ask the customer to get a passcode on our website, then look it up here ' + 'with the same phone number and read it to them.',
    phoneLabel: 'Customer phone number',
    phoneHint: 'The number the customer entered on the website, for example +44 7700 900123.',
    submit: 'Look up passcode',
    submitting: 'Looking up passcode…',
    clear: 'Clear',
    resultLabel: 'Passcode',
    resultFor: 'for',
    resultInstructions: 'Read this passcode aloud to the customer. They should confirm it matches the one on their screen.',
    success: 'Passcode found.',
    missingPhone: "Please enter the customer's phone number.",
    expired: 'This passcode has expired. Ask the customer to generate a new one.',
    notFound: 'No passcode was found for this number. Check the number, or ask the customer to generate a passcode first.',
    unauthorized: 'The API key was refused.',
    tooMany: 'Too many look-ups. Please wait a moment and try again.',
    network: "Couldn't reach the passcode service. Check your connection and try again.",
    timeout: 'The passcode service took too long to respond. Please try again.',
    generic: 'Something went wrong. Please try again later.',
    badResponse: 'The passcode service sent an unexpected response. Please try again later.',
    notConfigured: 'This widget is not configured correctly. Please contact your administrator.',
  };

  // ---------------------------------------------------------------------------
  // Small helpers (duplicated in customer.js on purpose: each widget is standalone).
  // ---------------------------------------------------------------------------

  /** Create an element with attributes and children. Strings become text nodes. */
  const h = (tag, attrs, children) => {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === false || value === null || value === undefined) continue;
        node.setAttribute(name, value === true ? '' : String(value));
      }
    }
    for (const child of children || []) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  };

  let idCounter = 0;
  /** An id that is not already used on the host page. */
  const uniqueId = (suffix) => {
    let id;
    do {
      idCounter += 1;
      id = `gh-${WIDGET}-${idCounter}-${suffix}`;
    } while (document.getElementById(id));
    return id;
  };

  const globalConfig = () => {
    const cfg = window.GatehouseWidgetConfig;
    return cfg && typeof cfg === 'object' ? cfg : {};
  };

  /** data-* attribute on the root wins, then window.GatehouseWidgetConfig, then the fallback. */
  const pick = (root, attr, keys, fallback) => {
    const fromAttr = root.getAttribute(attr);
    if (fromAttr !== null && fromAttr.trim() !== '') return fromAttr.trim();
    const cfg = globalConfig();
    for (const key of keys) {
      const value = cfg[key];
      if (typeof value === 'string' && value.trim() !== '') return value.trim();
    }
    return fallback;
  };

  const readConfig = (root) => ({
    apiUrl: pick(root, 'data-api-url', ['apiUrl'], ''),
    apiVer: pick(root, 'data-api-ver', ['apiVer'], 'v2').replace(/^\/+|\/+$/g, ''),
    tenantID: pick(root, 'data-tenant-id', ['tenantID', 'tenantId'], ''),
    apiKey: pick(root, 'data-api-key', ['apiKey'], ''),
  });

  /** Returns a list of configuration problems (empty when usable). */
  const configProblems = (cfg) => {
    const problems = [];
    if (!cfg.tenantID) problems.push('tenant ID (data-tenant-id / tenantID) is missing');
    if (!cfg.apiKey) problems.push('API key (data-api-key / apiKey) is missing');
    if (!cfg.apiVer) problems.push('API version (data-api-ver / apiVer) is missing');
    try {
      const url = new URL(cfg.apiUrl || '/', document.baseURI);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('bad protocol');
    } catch {
      problems.push(`API URL "${cfg.apiUrl}" is not an http(s) URL`);
    }
    return problems;
  };

  const endpoint = (cfg, suffix) => {
    const base = cfg.apiUrl.replace(/\/+$/, '');
    return `${base}/api/${encodeURIComponent(cfg.apiVer)}/${encodeURIComponent(cfg.tenantID)}` + `/identity/passcode${suffix || ''}`;
  };

  /** fetch() wrapper: never throws; resolves to { status, body, failure }. */
  const requestJson = async (url, init) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(url, { ...init, signal: controller.signal });
      const text = await response.text();
      let body = null;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = null;
        }
      }
      return { status: response.status, body, failure: null };
    } catch (err) {
      const failure = err && err.name === 'AbortError' ? 'timeout' : 'network';
      return { status: 0, body: null, failure };
    } finally {
      clearTimeout(timer);
    }
  };

  /** First validation error, else `message`, from an API error body. */
  const apiMessage = (body) => {
    if (!body || typeof body !== 'object') return '';
    const errors = body.errors;
    if (errors && typeof errors === 'object') {
      for (const value of Object.values(errors)) {
        const first = Array.isArray(value) ? value[0] : value;
        if (typeof first === 'string' && first.trim()) return first.trim();
      }
    }
    if (typeof body.message === 'string' && body.message.trim()) return body.message.trim();
    return '';
  };

  const asPhrase = (value) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

  /** "12345" -> "1 2 3 4 5" so screen readers spell the code out. */
  const spelled = (phrase) => (phrase.length <= 12 && !/\s/.test(phrase) ? [...phrase].join(' ') : phrase);

  // ---------------------------------------------------------------------------
  // DOM
  // ---------------------------------------------------------------------------

  const headingTag = (root) => {
    const level = root.getAttribute('data-heading-level');
    return /^[1-6]$/.test(level || '') ? `h${level}` : 'h2';
  };

  const buildForm = (root) => {
    const titleId = uniqueId('title');
    const inputId = uniqueId('pass-key');
    const hintId = `${inputId}-hint`;
    const input = h('input', {
      class: 'gh-widget__input',
      id: inputId,
      name: 'pass_key',
      type: 'tel',
      inputmode: 'tel',
      autocomplete: 'off',
      enterkeyhint: 'search',
      maxlength: '32',
      required: true,
      'aria-describedby': hintId,
    });
    const buttonLabel = h('span', { class: 'gh-widget__button-label' }, [TEXT.submit]);
    const button = h('button', { class: 'gh-widget__button gh-widget__submit', type: 'submit' }, [
      h('span', { class: 'gh-widget__spinner', 'aria-hidden': 'true' }),
      buttonLabel,
    ]);
    const form = h('form', { class: 'gh-widget__form', novalidate: true, 'aria-labelledby': titleId }, [
      h(headingTag(root), { class: 'gh-widget__title', id: titleId }, [TEXT.title]),
      h('p', { class: 'gh-widget__intro' }, [TEXT.intro]),
      h('div', { class: 'gh-widget__field' }, [
        h('label', { class: 'gh-widget__label', for: inputId }, [TEXT.phoneLabel]),
        h('p', { class: 'gh-widget__hint', id: hintId }, [TEXT.phoneHint]),
        input,
      ]),
      button,
    ]);
    root.append(form);
    return { form, input, button, buttonLabel };
  };

  /** Use integrator-supplied markup (a .gh-widget__form with input[name=pass_key]). */
  const adoptForm = (root) => {
    const form = root.querySelector('form.gh-widget__form');
    if (!form) return null;
    const input = form.querySelector('input[name="pass_key"]');
    const button = form.querySelector('button[type="submit"], button:not([type])');
    if (!input || !button) return null;
    form.noValidate = true;
    const buttonLabel = button.querySelector('.gh-widget__button-label') || button;
    return { form, input, button, buttonLabel };
  };

  const buildStatus = (root) => {
    let status = root.querySelector('.gh-widget__status');
    if (!status) {
      status = h('p', { class: 'gh-widget__status' });
      root.append(status);
    }
    status.id = status.id || uniqueId('status');
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    status.setAttribute('aria-atomic', 'true');
    status.setAttribute('tabindex', '-1');
    return status;
  };

  const buildResult = (root) => {
    let result = root.querySelector('.gh-widget__result');
    if (!result) {
      result = h('div', { class: 'gh-widget__result' }, [
        h('p', { class: 'gh-widget__result-label' }, [
          TEXT.resultLabel,
          ' ',
          h('span', { class: 'gh-widget__result-key-wrap', hidden: true }, [`${TEXT.resultFor} `, h('span', { class: 'gh-widget__result-key' })]),
        ]),
        h('p', { class: 'gh-widget__passcode' }),
        h('p', { class: 'gh-widget__result-text' }, [TEXT.resultInstructions]),
        h('div', { class: 'gh-widget__actions' }, [h('button', { class: 'gh-widget__clear', type: 'button' }, [TEXT.clear])]),
      ]);
      root.append(result);
    }
    let passcode = result.querySelector('.gh-widget__passcode');
    if (!passcode) {
      passcode = h('p', { class: 'gh-widget__passcode' });
      result.prepend(passcode);
    }
    const text = result.querySelector('.gh-widget__result-text');
    if (text) {
      text.id = text.id || uniqueId('result-text');
      result.setAttribute('aria-describedby', text.id);
    }
    result.setAttribute('role', 'group');
    result.setAttribute('tabindex', '-1');
    result.hidden = true;
    return {
      result,
      passcode,
      keyWrap: result.querySelector('.gh-widget__result-key-wrap'),
      key: result.querySelector('.gh-widget__result-key'),
      clearButton: result.querySelector('.gh-widget__clear'),
    };
  };

  // ---------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------

  const setState = (ui, state, httpStatus) => {
    ui.root.setAttribute('data-gh-state', state);
    if (httpStatus) ui.root.setAttribute('data-gh-http-status', String(httpStatus));
    else ui.root.removeAttribute('data-gh-http-status');
  };

  const STATUS_KINDS = ['info', 'success', 'error'];

  const showStatus = (ui, kind, message) => {
    const { status } = ui;
    for (const k of STATUS_KINDS) status.classList.remove(`gh-widget__status--${k}`);
    if (kind) status.classList.add(`gh-widget__status--${kind}`);
    const isError = kind === 'error';
    status.setAttribute('role', isError ? 'alert' : 'status');
    status.setAttribute('aria-live', isError ? 'assertive' : 'polite');
    status.textContent = message || '';
  };

  const hideResult = (ui) => {
    ui.result.hidden = true;
    ui.passcode.textContent = '';
    ui.result.removeAttribute('aria-label');
    if (ui.key) ui.key.textContent = '';
    if (ui.keyWrap) ui.keyWrap.hidden = true;
  };

  const setBusy = (ui, busy) => {
    ui.busy = busy;
    ui.button.disabled = busy;
    for (const el of [ui.root, ui.form, ui.button]) {
      if (busy) el.setAttribute('aria-busy', 'true');
      else el.removeAttribute('aria-busy');
    }
    ui.buttonLabel.textContent = busy ? TEXT.submitting : TEXT.submit;
  };

  const markInvalid = (ui, invalid) => {
    const { input } = ui;
    const describedBy = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    const withoutStatus = describedBy.filter((id) => id !== ui.status.id);
    if (invalid) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', [...withoutStatus, ui.status.id].join(' '));
    } else {
      input.removeAttribute('aria-invalid');
      input.setAttribute('aria-describedby', withoutStatus.join(' '));
    }
  };

  /** state: 'error' | 'expired' | 'not-found' | 'unauthorized' */
  const showProblem = (ui, state, message, httpStatus, focusTarget) => {
    hideResult(ui);
    setState(ui, state, httpStatus);
    showStatus(ui, 'error', message);
    (focusTarget || ui.status).focus();
  };

  const showPasscode = (ui, passKey, phrase) => {
    ui.passcode.textContent = phrase;
    ui.passcode.classList.toggle('gh-widget__passcode--long', phrase.length > 10);
    if (ui.key && ui.keyWrap) {
      ui.key.textContent = passKey;
      ui.keyWrap.hidden = false;
    }
    ui.result.setAttribute('aria-label', `${TEXT.resultLabel}: ${spelled(phrase)}`);
    ui.result.hidden = false;
    setState(ui, 'shown', 200);
    showStatus(ui, 'success', TEXT.success);
    ui.result.focus();
  };

  const reset = (ui) => {
    hideResult(ui);
    showStatus(ui, null, '');
    markInvalid(ui, false);
    ui.input.value = '';
    setState(ui, 'idle');
    ui.input.focus();
  };

  // ---------------------------------------------------------------------------
  // Submit
  // ---------------------------------------------------------------------------

  const lookUp = async (ui) => {
    if (ui.busy) return;

    const passKey = ui.input.value.trim();
    markInvalid(ui, false);
    if (!passKey) {
      markInvalid(ui, true);
      showProblem(ui, 'error', TEXT.missingPhone, null, ui.input);
      return;
    }

    const cfg = readConfig(ui.root);
    const problems = configProblems(cfg);
    if (problems.length) {
      console.error(`[gatehouse ${WIDGET} widget] Not configured: ${problems.join('; ')}.`);
      showProblem(ui, 'error', TEXT.notConfigured, null);
      return;
    }

    hideResult(ui);
    setState(ui, 'submitting');
    showStatus(ui, 'info', TEXT.submitting);
    setBusy(ui, true);

    const res = await requestJson(endpoint(cfg, `/${encodeURIComponent(passKey)}`), {
      method: 'GET',
      headers: { 'x-api-key': cfg.apiKey, Accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
    });

    setBusy(ui, false);

    if (res.failure) {
      showProblem(ui, 'error', res.failure === 'timeout' ? TEXT.timeout : TEXT.network, null);
      return;
    }
    if (res.status >= 200 && res.status < 300) {
      const body = res.body && typeof res.body === 'object' ? res.body : null;
      const phrase = body ? asPhrase(body.pass_phrase) || asPhrase(body.data && body.data.pass_phrase) : '';
      if (!phrase) {
        showProblem(ui, 'error', TEXT.badResponse, res.status);
        return;
      }
      showPasscode(ui, passKey, phrase);
      return;
    }
    switch (res.status) {
      case 410:
        showProblem(ui, 'expired', TEXT.expired, res.status);
        return;
      case 404:
        showProblem(ui, 'not-found', TEXT.notFound, res.status);
        return;
      case 401:
      case 403:
        showProblem(ui, 'unauthorized', TEXT.unauthorized, res.status);
        return;
      case 429:
        showProblem(ui, 'error', TEXT.tooMany, res.status);
        return;
      default:
        showProblem(ui, 'error', apiMessage(res.body) || TEXT.generic, res.status);
    }
  };

  // ---------------------------------------------------------------------------
  // Init
  // ---------------------------------------------------------------------------

  const init = (root) => {
    if (!(root instanceof HTMLElement) || root.hasAttribute('data-gh-ready')) return;

    let parts = adoptForm(root);
    if (!parts) {
      root.replaceChildren(); // drop any placeholder / no-JS fallback content
      parts = buildForm(root);
    }
    const ui = { root, busy: false, ...parts };
    ui.status = buildStatus(root);
    Object.assign(ui, buildResult(root));

    root.classList.add('gh-widget', `gh-widget--${WIDGET}`);

    ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      lookUp(ui);
    });
    ui.input.addEventListener('input', () => markInvalid(ui, false));
    ui.clearButton?.addEventListener('click', () => reset(ui));

    const problems = configProblems(readConfig(root));
    if (problems.length) {
      console.warn(`[gatehouse ${WIDGET} widget] Configuration problem: ${problems.join('; ')}.`);
    }

    setState(ui, 'idle');
    root.setAttribute('data-gh-ready', '');
  };

  const initAll = () => {
    document.querySelectorAll(SELECTOR).forEach(init);
  };

  window.GatehouseWidgets = window.GatehouseWidgets || {};
  window.GatehouseWidgets[WIDGET] = { init, initAll };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initAll, { once: true });
  } else {
    initAll();
  }
})();
