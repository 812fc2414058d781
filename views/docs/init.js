// Kept as a file (not inline) so the page works under a CSP of script-src 'self'.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
});
