// The interactive API reference: Swagger UI reads the OpenAPI document of this server only.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: false,
    // Never send the document to the public validator, and no "Try it out": calls carry
    // residents' personal data and belong in the client's own systems.
    validatorUrl: null,
    supportedSubmitMethods: [],
    defaultModelsExpandDepth: 0
  });
})();
