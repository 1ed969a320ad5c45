/**
 * A rate limit store that keeps the state of every key in Redis. {@link
 * dev.sluice.redis.RedisStore} decides each request with one Lua script call, using exact
 * integer arithmetic, so that its decisions equal those of the in-memory store. When Redis
 * fails, a {@link dev.sluice.redis.FailureMode} decides instead.
 */
package dev.sluice.redis;
