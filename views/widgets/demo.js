/*
 * Demo-page helper (NOT part of the widgets). Reads the widget configuration
 * from this page's query string, e.g.
 *   customer.html?apiUrl=http://localhost:3000&apiVer=v2&tenantID=...&mode=manual
 *   agent.html?apiUrl=http://localhost:3000&apiVer=v2&tenantID=...&apiKey=...
 * and copies it onto every [data-gh-widget] root as data-* attributes before
 * the widget scripts initialise (they run on DOMContentLoaded).
 * Kept in a separate file so the demo pages work under a CSP without
 * 'unsafe-inline' scripts.
 */
(() => {
  'use strict';

  const params = new URLSearchParams(window.location.search);
  const first = (...names) => {
    for (const name of names) {
      const value = params.get(name);
      if (value !== null && value.trim() !== '') return value.trim();
    }
    return null;
  };

  const settings = [
    { label: 'API URL', attr: 'data-api-url', value: first('apiUrl', 'api_url') },
    { label: 'API version', attr: 'data-api-ver', value: first('apiVer', 'api_ver') },
    { label: 'Tenant ID', attr: 'data-tenant-id', value: first('tenantID', 'tenantId', 'tenant_id') },
    { label: 'API key', attr: 'data-api-key', value: first('apiKey', 'api_key'), secret: true },
    { label: 'Mode', attr: 'data-mode', value: first('mode') },
  ];

  const roots = document.querySelectorAll('[data-gh-widget]');
  for (const root of roots) {
    const isAgent = root.getAttribute('data-gh-widget') === 'agent';
    for (const s of settings) {
      if (s.value === null) continue;
      if (s.attr === 'data-api-key' && !isAgent) continue; // never needed client-side
      if (s.attr === 'data-mode' && isAgent) continue;
      root.setAttribute(s.attr, s.value);
    }
  }

  // Show what the demo is using (API key masked), all via textContent.
  const panel = document.querySelector('[data-demo-config]');
  if (panel) {
    const page = panel.getAttribute('data-demo-config');
    const list = document.createElement('dl');
    list.className = 'demo-config__list';
    for (const s of settings) {
      if (page === 'customer' && s.attr === 'data-api-key') continue;
      if (page === 'agent' && s.attr === 'data-mode') continue;
      const dt = document.createElement('dt');
      dt.textContent = s.label;
      const dd = document.createElement('dd');
      let shown = s.value;
      if (shown && s.secret) shown = shown.length > 4 ? `••••${shown.slice(-4)}` : '••••';
      dd.textContent = shown || '(not set: default / GatehouseWidgetConfig)';
      list.append(dt, dd);
    }
    panel.append(list);
    const missing = page === 'agent' ? ['tenantID', 'apiKey'] : ['tenantID'];
    const absent = missing.filter((name) => !first(name, name.toLowerCase()));
    if (absent.length) {
      const warn = document.createElement('p');
      warn.className = 'demo-config__warning';
      warn.textContent = `Add ${absent.map((n) => `${n}=…`).join(' and ')} to this page's URL query string.`;
      panel.append(warn);
    }
  }

  // Keep the query string when switching between the two demo pages.
  for (const link of document.querySelectorAll('a[data-demo-keep-query]')) {
    const url = new URL(link.getAttribute('href'), window.location.href);
    const query = new URLSearchParams(window.location.search);
    if (!url.pathname.endsWith('agent.html')) {
      query.delete('apiKey'); // never carry the secret into the customer-facing page
      query.delete('api_key');
    }
    url.search = query.toString();
    link.href = url.toString();
  }
})();
