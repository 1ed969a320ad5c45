/**
 * Replays a Common or Combined Log Format access log through a policy, on a virtual clock read
 * from the log's timestamps, and reports what the policy would have admitted, delayed and
 * denied. {@link dev.sluice.server.replay.LogReplayer} is the entry point; the
 * {@code sluice replay} command wraps it.
 */
package dev.sluice.server.replay;
