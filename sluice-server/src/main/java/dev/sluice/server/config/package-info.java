/**
 * The server's config file: its YAML format, the loader that checks it and reports each problem
 * with its file and line, and the typed result. The command-line tools share the duration syntax
 * and the whole-number range checks defined here.
 */
package dev.sluice.server.config;
