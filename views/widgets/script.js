/*
 * Gatehouse passcode widget under the reference implementation's names
 * (tenant-passcode-agent-verification, "Copy & Embed the below div … include our style.css …
 * include our script.js … fill in your apiUrl, apiVer, tenantID [, apiKey] in the JS"):
 *
 *   a link to https://YOUR-GATEHOUSE/widgets/style.css in the head,
 *   <div class="widget__box">…</div> where the widget goes,
 *   and this script after it: linked from https://YOUR-GATEHOUSE/widgets/script.js, or copied
 *   into a script element of your page (so this file never spells the closing tag of one).
 *
 * One script serves both widgets of the spec: with an apiKey it is the agent's look-up (back
 * office only: anyone who can see the page can read the key), without one the customer's
 * passcode request. Settings, first found wins: the box's data-api-url / data-api-ver /
 * data-tenant-id / data-api-key / data-widget, then window.GatehouseWidgetConfig, then the four
 * constants below (fill them in when you copy this file into your page), then defaults (the
 * Gatehouse this script was loaded from, API version v2).
 *
 * Plain ES2020, no dependencies. Text from the API is only ever written with textContent.
 */
(() => {
  'use strict';

  // Fill in when copying this script (the spec's own lines); '.....' means "not filled in".
  const apiUrl = '.....';
  const apiVer = '.....';
  const tenantID = '.....';
  const apiKey = '.....';

  const UNSET = '.....';
  const REQUEST_TIMEOUT_MS = 15000;
  // Where this script came from: the default apiUrl when the hosted copy is linked as is.
  const scriptOrigin = (() => {
    try {
      return document.currentScript && document.currentScript.src ? new URL(document.currentScript.src).origin : '';
    } catch {
      return '';
    }
  })();

  const TEXT = {
    customerTitle: 'Check that a caller is genuine',
    customerLabel: 'Your phone number',
    phraseLabel: 'Choose a secret passphrase',
    customerSubmit: 'Get my passcode',
    customerShown: 'Ask the agent to read this passcode to you. If they cannot, hang up.',
    conflict: 'A passcode is already active for this number. Please wait until it expires.',
    agentTitle: 'Verify yourself to the customer',
    agentLabel: "Customer's phone number",
    agentSubmit: 'Look up passcode',
    agentShown: 'Read this passcode to the customer.',
    expired: 'The passcode has expired. Ask the customer to request a new one.',
    notFound: 'No passcode for this number. Ask the customer to request one.',
    unauthorized: 'The API key was refused.',
    tooMany: 'Too many attempts. Please wait a moment and try again.',
    network: 'The verification service could not be reached.',
    generic: 'Something went wrong. Please try again later.',
    missing: 'Please enter the phone number.',
    working: 'Please wait…',
    notConfigured: 'This widget is not set up (tenant ID missing).',
  };

  const given = (value) => (typeof value === 'string' && value.trim() !== '' && value !== UNSET ? value.trim() : undefined);

  function settings(box) {
    const global = window.GatehouseWidgetConfig && typeof window.GatehouseWidgetConfig === 'object' ? window.GatehouseWidgetConfig : {};
    const pick = (attribute, key, constant) => given(box.getAttribute(attribute)) || given(global[key]) || given(constant);
    const key = pick('data-api-key', 'apiKey', apiKey);
    const widget = pick('data-widget', 'widget', undefined);
    return {
      apiUrl: (pick('data-api-url', 'apiUrl', apiUrl) || scriptOrigin).replace(/\/+$/, ''),
      apiVer: (pick('data-api-ver', 'apiVer', apiVer) || 'v2').replace(/^\/+|\/+$/g, ''),
      tenantID: pick('data-tenant-id', 'tenantID', tenantID) || '',
      apiKey: key || '',
      widget: widget === 'agent' || widget === 'customer' ? widget : key ? 'agent' : 'customer',
      manual: pick('data-mode', 'mode', undefined) === 'manual',
    };
  }

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== undefined && value !== false) node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  let counter = 0;
  const uniqueId = (name) => {
    counter += 1;
    return `widget__${name}-${counter}`;
  };

  /** The box's own markup when it has a form with a pass_key field; otherwise it is built here. */
  function parts(box, config) {
    let form = box.querySelector('form.widget__form');
    if (!form || !form.querySelector('input[name="pass_key"]')) {
      box.replaceChildren();
      const inputId = uniqueId('pass-key');
      form = element('form', { class: 'widget__form', novalidate: true }, [
        element('h2', { class: 'widget__title' }, [config.widget === 'agent' ? TEXT.agentTitle : TEXT.customerTitle]),
        element('label', { class: 'widget__label', for: inputId }, [config.widget === 'agent' ? TEXT.agentLabel : TEXT.customerLabel]),
        element('input', {
          class: 'widget__input',
          id: inputId,
          name: 'pass_key',
          type: 'tel',
          autocomplete: config.widget === 'agent' ? 'off' : 'tel',
          required: true,
          maxlength: '32',
        }),
        element('button', { class: 'widget__button', type: 'submit' }, [config.widget === 'agent' ? TEXT.agentSubmit : TEXT.customerSubmit]),
      ]);
      box.append(form);
    }
    let phrase = form.querySelector('input[name="pass_phrase"]');
    if (!phrase && config.widget === 'customer') {
      // Shown when the tenant chose manual passphrases (data-mode="manual", or the service asks).
      const phraseId = uniqueId('pass-phrase');
      const field = element('div', { class: 'widget__field', hidden: !config.manual }, [
        element('label', { class: 'widget__label', for: phraseId }, [TEXT.phraseLabel]),
        element('input', { class: 'widget__input', id: phraseId, name: 'pass_phrase', type: 'text', autocomplete: 'off', maxlength: '100' }),
      ]);
      form.querySelector('button').before(field);
      phrase = field.querySelector('input');
    }
    let status = box.querySelector('.widget__status');
    if (!status) {
      status = element('p', { class: 'widget__status', role: 'status', 'aria-live': 'polite' });
      box.append(status);
    }
    let result = box.querySelector('.widget__result');
    if (!result) {
      result = element('div', { class: 'widget__result', hidden: true }, [
        element('span', { class: 'widget__passcode' }),
        element('span', { class: 'widget__result-text' }),
      ]);
      box.append(result);
    }
    return { form, input: form.querySelector('input[name="pass_key"]'), phrase, button: form.querySelector('button'), status, result };
  }

  async function request(url, init) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(url, { ...init, signal: controller.signal, credentials: 'omit', cache: 'no-store' });
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      return { status: response.status, body };
    } catch {
      return { status: 0, body: null };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The first field error ({"errors": {"pass_key": ["…"]}}) or the message ({"status": "Failed", "message": "…"}). */
  function messageOf(body) {
    if (!body || typeof body !== 'object') return '';
    if (body.errors && typeof body.errors === 'object') {
      for (const value of Object.values(body.errors)) {
        const first = Array.isArray(value) ? value[0] : value;
        if (typeof first === 'string') return first;
      }
    }
    return typeof body.message === 'string' ? body.message : '';
  }

  function init(box) {
    if (!(box instanceof HTMLElement) || box.hasAttribute('data-widget-ready')) return;
    const config = settings(box);
    const ui = parts(box, config);
    const show = (state, message, passcode) => {
      box.setAttribute('data-state', state);
      ui.status.textContent = message || '';
      ui.status.classList.toggle('widget__status--error', !passcode && state !== 'submitting' && state !== 'idle');
      ui.status.setAttribute('role', passcode || state === 'submitting' ? 'status' : 'alert');
      ui.result.hidden = !passcode;
      ui.result.querySelector('.widget__passcode').textContent = passcode || '';
      ui.result.querySelector('.widget__result-text').textContent = passcode ? (config.widget === 'agent' ? TEXT.agentShown : TEXT.customerShown) : '';
    };
    const endpoint = (suffix) => `${config.apiUrl}/api/${encodeURIComponent(config.apiVer)}/${encodeURIComponent(config.tenantID)}/identity/passcode${suffix}`;

    async function submit() {
      const passKey = ui.input.value.trim();
      if (!passKey) return show('error', TEXT.missing);
      if (!config.tenantID) return show('error', TEXT.notConfigured);
      ui.button.disabled = true;
      show('submitting', TEXT.working);
      let reply;
      if (config.widget === 'agent') {
        reply = await request(endpoint(`/${encodeURIComponent(passKey)}`), {
          method: 'GET',
          headers: { Accept: 'application/json', 'x-api-key': config.apiKey },
        });
      } else {
        const body = { pass_key: passKey };
        if (ui.phrase && !ui.phrase.closest('[hidden]') && ui.phrase.value.trim()) body.pass_phrase = ui.phrase.value.trim();
        reply = await request(endpoint(''), {
          method: 'POST',
          headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
      }
      ui.button.disabled = false;
      const phrase = reply.body && (reply.body.pass_phrase ?? (reply.body.data && reply.body.data.pass_phrase));
      if (reply.status === 200 && (typeof phrase === 'string' || typeof phrase === 'number')) return show('shown', '', String(phrase));
      if (reply.status === 0) return show('error', TEXT.network);
      if (reply.status === 410) return show('expired', TEXT.expired);
      if (reply.status === 404) return show('not-found', TEXT.notFound);
      if (reply.status === 401) return show('unauthorized', TEXT.unauthorized);
      if (reply.status === 409) return show('conflict', TEXT.conflict);
      if (reply.status === 429) return show('error', TEXT.tooMany);
      if (reply.status === 400 && ui.phrase && reply.body && reply.body.errors && reply.body.errors.pass_phrase) {
        // The tenant chose manual passphrases: the customer picks one.
        ui.phrase.closest('.widget__field').hidden = false;
        ui.phrase.focus();
      }
      return show('error', messageOf(reply.body) || TEXT.generic);
    }

    ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit();
    });
    box.setAttribute('data-widget-type', config.widget);
    box.setAttribute('data-widget-ready', '');
    show('idle', '');
  }

  const initAll = () => document.querySelectorAll('.widget__box').forEach(init);
  window.GatehouseWidgetBox = { init, initAll };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', initAll, { once: true });
  else initAll();
})();
