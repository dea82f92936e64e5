// The API explorer at /docs: Swagger UI (static/swagger-ui) reading the app's OpenAPI document.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") { return; }
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: false,  // its links sit inside each operation's button (nested controls)
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,  // the badge would ask another site to check the document
    showExtensions: true,
    showCommonExtensions: true
  });
});
