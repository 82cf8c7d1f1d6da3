// The console's API docs page (/_/api-docs): Swagger UI over the document the page embeds.
// "Try it out" calls this origin's /api/; use "Authorize" to send a token.
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("openapi-doc");
  if (!source || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    spec: JSON.parse(source.textContent),
    dom_id: "#swagger-ui",
    deepLinking: false,
    docExpansion: "none",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
  });
});
