/*
 * Gatehouse customer passcode widget.
 *
 * Plain ES2020, no dependencies, no build step. Embed with:
 *
 *   <link rel="stylesheet" href="/widgets/widget.css">
 *   <div class="gh-widget" data-gh-widget="customer"
 *        data-api-url="https://auth.example.com" data-api-ver="v2"
 *        data-tenant-id="YOUR-TENANT-ID" data-mode="system"></div>
 *   <script src="/widgets/customer.js"></script>
 *
 * Configuration is read from the root element's data-* attributes first, then
 * from window.GatehouseWidgetConfig = { apiUrl, apiVer, tenantID, mode }.
 *
 * API data is only ever written with textContent / setAttribute, never as HTML.
 */
(() => {
  'use strict';

  const WIDGET = 'customer';
  const SELECTOR = '[data-gh-widget="customer"]';
  const REQUEST_TIMEOUT_MS = 15000;

  const TEXT = {
    title: 'Check that a caller is genuine',
    intro: "If someone calls saying they're from us, get a one-time passcode here. " + 'A genuine agent will be able to read it back to you.',
    phoneLabel: 'Your phone number',
    phoneHint: 'Use the number the agent is calling you on, for example +44 7700 900123.',
    phraseLabel: 'Choose a secret passphrase',
    phraseHint: "The agent will read this back to you. Don't tell it to them.",
    submit: 'Get my passcode',
    submitting: 'Getting your passcode…',
    resultLabel: 'Your passcode',
    resultFor: 'for',
    resultInstructions: "Ask the agent to read this passcode to you. Don't tell it to them.",
    resultWarning: "If they can't read it to you, hang up: the caller may not be genuine.",
    success: 'Your passcode is ready.',
    missingPhone: 'Please enter your phone number.',
    missingPhrase: 'Please choose a passphrase.',
    conflict: 'A passcode is already active for this number. Please wait until it expires and try again.',
    tooMany: 'Too many attempts. Please wait a few minutes and try again.',
    network: "We couldn't reach the verification service. Check your connection and try again.",
    timeout: 'The verification service took too long to respond. Please try again.',
    generic: 'Something went wrong. Please try again later.',
    badResponse: 'The verification service sent an unexpected response. Please try again later.',
    notConfigured: 'This passcode form is not set up correctly. Please contact the website owner.',
  };

  // ---------------------------------------------------------------------------
  // Small helpers (duplicated in agent.js on purpose: each widget is standalone).
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

  const readMode = (root) => {
    const mode = pick(root, 'data-mode', ['mode'], 'system').toLowerCase();
    if (mode !== 'system' && mode !== 'manual') {
      console.warn(`[gatehouse ${WIDGET} widget] Unknown mode "${mode}", using "system".`);
      return 'system';
    }
    return mode;
  };

  const readConfig = (root) => ({
    apiUrl: pick(root, 'data-api-url', ['apiUrl'], ''),
    apiVer: pick(root, 'data-api-ver', ['apiVer'], 'v2').replace(/^\/+|\/+$/g, ''),
    tenantID: pick(root, 'data-tenant-id', ['tenantID', 'tenantId'], ''),
  });

  /** Returns a list of configuration problems (empty when usable). */
  const configProblems = (cfg) => {
    const problems = [];
    if (!cfg.tenantID) problems.push('tenant ID (data-tenant-id / tenantID) is missing');
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

  const buildField = (name, labelText, hintText, inputAttrs) => {
    const inputId = uniqueId(name.replace(/_/g, '-'));
    const hintId = `${inputId}-hint`;
    const input = h('input', {
      class: 'gh-widget__input',
      id: inputId,
      name,
      required: true,
      'aria-describedby': hintId,
      ...inputAttrs,
    });
    const field = h('div', { class: 'gh-widget__field' }, [
      h('label', { class: 'gh-widget__label', for: inputId }, [labelText]),
      h('p', { class: 'gh-widget__hint', id: hintId }, [hintText]),
      input,
    ]);
    return { field, input };
  };

  const buildPhraseField = () =>
    buildField('pass_phrase', TEXT.phraseLabel, TEXT.phraseHint, {
      type: 'text',
      autocomplete: 'off',
      autocapitalize: 'off',
      spellcheck: 'false',
      maxlength: '100',
    });

  const buildForm = (root, mode) => {
    const titleId = uniqueId('title');
    const phone = buildField('pass_key', TEXT.phoneLabel, TEXT.phoneHint, {
      type: 'tel',
      autocomplete: 'tel',
      inputmode: 'tel',
      enterkeyhint: mode === 'manual' ? 'next' : 'go',
      maxlength: '32',
    });
    const phrase = mode === 'manual' ? buildPhraseField() : null;
    const buttonLabel = h('span', { class: 'gh-widget__button-label' }, [TEXT.submit]);
    const button = h('button', { class: 'gh-widget__button gh-widget__submit', type: 'submit' }, [
      h('span', { class: 'gh-widget__spinner', 'aria-hidden': 'true' }),
      buttonLabel,
    ]);
    const form = h('form', { class: 'gh-widget__form', novalidate: true, 'aria-labelledby': titleId }, [
      h(headingTag(root), { class: 'gh-widget__title', id: titleId }, [TEXT.title]),
      h('p', { class: 'gh-widget__intro' }, [TEXT.intro]),
      phone.field,
      phrase && phrase.field,
      button,
    ]);
    root.append(form);
    return { form, input: phone.input, phraseInput: phrase ? phrase.input : null, button, buttonLabel };
  };

  /** Use integrator-supplied markup (a .gh-widget__form with input[name=pass_key]). */
  const adoptForm = (root, mode) => {
    const form = root.querySelector('form.gh-widget__form');
    if (!form) return null;
    const input = form.querySelector('input[name="pass_key"]');
    const button = form.querySelector('button[type="submit"], button:not([type])');
    if (!input || !button) return null;
    let phraseInput = form.querySelector('input[name="pass_phrase"]');
    if (mode === 'manual' && !phraseInput) {
      const phrase = buildPhraseField();
      const phoneField = input.closest('.gh-widget__field');
      if (phoneField && form.contains(phoneField)) phoneField.after(phrase.field);
      else button.before(phrase.field);
      phraseInput = phrase.input;
    }
    form.noValidate = true;
    const buttonLabel = button.querySelector('.gh-widget__button-label') || button;
    return { form, input, phraseInput: mode === 'manual' ? phraseInput : null, button, buttonLabel };
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
        h('p', { class: 'gh-widget__result-note' }, [TEXT.resultWarning]),
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

  const markInvalid = (input, invalid, ui) => {
    if (!input) return;
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

  const showError = (ui, message, httpStatus, focusTarget) => {
    hideResult(ui);
    setState(ui, 'error', httpStatus);
    showStatus(ui, 'error', message);
    (focusTarget || ui.status).focus();
  };

  const showPasscode = (ui, passKey, phrase) => {
    ui.passcode.textContent = phrase;
    ui.passcode.classList.toggle('gh-widget__passcode--long', phrase.length > 10);
    if (ui.key && ui.keyWrap && passKey) {
      ui.key.textContent = passKey;
      ui.keyWrap.hidden = false;
    }
    ui.result.setAttribute('aria-label', `${TEXT.resultLabel}: ${spelled(phrase)}`);
    ui.result.hidden = false;
    setState(ui, 'shown', 200);
    showStatus(ui, 'success', TEXT.success);
    ui.result.focus();
  };

  // ---------------------------------------------------------------------------
  // Submit
  // ---------------------------------------------------------------------------

  const submit = async (ui) => {
    if (ui.busy) return;

    const passKey = ui.input.value.trim();
    const passPhrase = ui.phraseInput ? ui.phraseInput.value.trim() : '';
    markInvalid(ui.input, false, ui);
    markInvalid(ui.phraseInput, false, ui);

    if (!passKey) {
      markInvalid(ui.input, true, ui);
      showError(ui, TEXT.missingPhone, null, ui.input);
      return;
    }
    if (ui.phraseInput && !passPhrase) {
      markInvalid(ui.phraseInput, true, ui);
      showError(ui, TEXT.missingPhrase, null, ui.phraseInput);
      return;
    }

    const cfg = readConfig(ui.root);
    const problems = configProblems(cfg);
    if (problems.length) {
      console.error(`[gatehouse ${WIDGET} widget] Not configured: ${problems.join('; ')}.`);
      showError(ui, TEXT.notConfigured, null);
      return;
    }

    const payload = { pass_key: passKey };
    if (ui.phraseInput) payload.pass_phrase = passPhrase;

    hideResult(ui);
    setState(ui, 'submitting');
    showStatus(ui, 'info', TEXT.submitting);
    setBusy(ui, true);

    const res = await requestJson(endpoint(cfg), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(payload),
      credentials: 'omit',
      cache: 'no-store',
    });

    setBusy(ui, false);

    if (res.failure) {
      showError(ui, res.failure === 'timeout' ? TEXT.timeout : TEXT.network, null);
      return;
    }
    if (res.status >= 200 && res.status < 300) {
      const data = res.body && typeof res.body === 'object' ? res.body.data || res.body : null;
      const phrase = data ? asPhrase(data.pass_phrase) : '';
      if (!phrase) {
        showError(ui, TEXT.badResponse, res.status);
        return;
      }
      const shownKey = data && typeof data.pass_key === 'string' && data.pass_key ? data.pass_key : passKey;
      showPasscode(ui, shownKey, phrase);
      return;
    }
    if (res.status === 409) {
      showError(ui, TEXT.conflict, res.status);
      return;
    }
    if (res.status === 429) {
      showError(ui, TEXT.tooMany, res.status);
      return;
    }
    showError(ui, apiMessage(res.body) || TEXT.generic, res.status);
  };

  // ---------------------------------------------------------------------------
  // Init
  // ---------------------------------------------------------------------------

  const init = (root) => {
    if (!(root instanceof HTMLElement) || root.hasAttribute('data-gh-ready')) return;
    const mode = readMode(root);

    let parts = adoptForm(root, mode);
    if (!parts) {
      root.replaceChildren(); // drop any placeholder / no-JS fallback content
      parts = buildForm(root, mode);
    }
    const ui = { root, mode, busy: false, ...parts };
    ui.status = buildStatus(root);
    Object.assign(ui, buildResult(root));

    root.classList.add('gh-widget', `gh-widget--${WIDGET}`);
    root.setAttribute('data-gh-mode', mode);

    ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit(ui);
    });
    for (const input of [ui.input, ui.phraseInput]) {
      input?.addEventListener('input', () => markInvalid(input, false, ui));
    }

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
