// /docs: Swagger UI on this server's OpenAPI schema. No validator badge (it would call
// validator.swagger.io) and nothing else from another origin.
/* global SwaggerUIBundle */
const root = document.getElementById('swagger-ui');
if (typeof SwaggerUIBundle === 'function') {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    domNode: root,
    validatorUrl: null,
    deepLinking: true,
  });
} else {
  root.textContent = 'Swagger UI is not installed on this server (run make setup-node); '
    + 'the raw schema is at /openapi.json.';
}
