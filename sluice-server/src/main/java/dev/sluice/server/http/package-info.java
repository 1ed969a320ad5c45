/**
 * The HTTP check API on Jetty's core handler API: {@code POST /v1/check} decides a request and
 * returns the decision as JSON with {@code RateLimit-Policy}, {@code RateLimit} and
 * {@code Retry-After} headers; {@code GET /v1/policies} lists the loaded policies and
 * {@code GET /healthz} reports liveness.
 */
package dev.sluice.server.http;
