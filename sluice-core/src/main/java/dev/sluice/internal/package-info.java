/**
 * The arithmetic of each algorithm and the exact integer helpers behind it. Not part of the
 * API: these classes may change in any release.
 */
package dev.sluice.internal;
