package dev.sluice.redis;

import java.time.Duration;

/**
 * The failure settings of a {@link RedisStore}, shared by all its bindings: the timeout of a
 * decision, the failure mode, the probe interval and the circuit breaker.
 */
record FailureHandling(
    Duration commandTimeout, FailureMode mode, Duration probeInterval, Breaker breaker) {}
