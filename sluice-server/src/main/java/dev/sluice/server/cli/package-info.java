/**
 * The {@code sluice} command line: {@link dev.sluice.server.cli.Main} and its subcommands,
 * such as {@code sluice serve}, which runs the HTTP check API.
 */
package dev.sluice.server.cli;
