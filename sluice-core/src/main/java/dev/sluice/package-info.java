/**
 * Exact rate limiting: limits, policies, decisions and the limiter.
 *
 * <p>Glossary, used with one meaning throughout Sluice:
 *
 * <ul>
 *   <li><b>key</b>: what is limited, such as a client address, a user or an API key.
 *   <li><b>cost</b>: the units a request takes, 1 for a plain request, more for a weighted one
 *       (tokens of an LLM call, bytes of an upload); 0 only looks.
 *   <li><b>limit</b>: units admitted per <b>period</b>; also, a {@link dev.sluice.Limit} as a
 *       whole, an algorithm with its numbers.
 *   <li><b>burst</b>: the most units admissible at once by a bucket algorithm.
 *   <li><b>policy</b>: the named set of limits applied together to each key.
 *   <li><b>decision</b>: allowed or denied, with <b>remaining</b> units, <b>reset after</b> (time
 *       until the key is back to its initial state), <b>retry after</b> (the earliest wait after
 *       which a denied request would be admitted) and <b>delay</b> (how long a shaped request
 *       should wait before going ahead).
 *   <li><b>store</b>: where the per-key state lives, in memory or in a shared server.
 * </ul>
 *
 * <p>No decision uses floating point: rates such as 3 per 7 seconds are computed exactly, and
 * waits are rounded up to the next nanosecond, never down.
 */
package dev.sluice;
