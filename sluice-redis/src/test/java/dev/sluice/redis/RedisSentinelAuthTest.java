package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.RateLimiter;
import io.lettuce.core.RedisConnectionException;
import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store through Redis Sentinel when the master and replica require a password, and when
 * the sentinel requires one of its own. One {@link SentinelGroup} serves every test: sentinel 0
 * has no password, sentinel 1 has {@code requirepass}. Decisions run on a fake clock that does
 * not move, so no window ends between requests.
 */
class RedisSentinelAuthTest {

  private static final String DATA_PASSWORD = "data-secret";
  private static final String SENTINEL_PASSWORD = "sentinel-secret";
  // Generous, so that a busy machine never turns a decision into a failure-mode decision.
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.FIXED_WINDOW, 3, Duration.ofHours(1)));

  private static SentinelGroup group;

  private final FakeClock clock = new FakeClock(1_800_000_000_000_000_000L);

  @BeforeAll
  static void startGroup() {
    group = SentinelGroup.startWithPasswords(DATA_PASSWORD, SENTINEL_PASSWORD);
  }

  @AfterAll
  static void stopGroup() {
    group.close();
  }

  @Test
  void build_dataPasswordInUri_decidesOnMaster() {
    try (RedisStore store = store(uri(":" + DATA_PASSWORD + "@", 0)).build()) {
      // A fixed window of 3 per hour admits 3 of 5 requests on a fresh key.
      assertThat(admitted(store, "open-sentinel", 5)).isEqualTo(3);
    }
    assertThat(group.masterCommands().keys("sluice:{api:open-sentinel}:*")).hasSize(1);
  }

  @Test
  void build_sentinelPasswordAndDataPassword_decides() {
    try (RedisStore store = store(uri(":" + DATA_PASSWORD + "@", 1))
        .sentinelPassword(SENTINEL_PASSWORD)
        .build()) {
      assertThat(admitted(store, "locked-sentinel", 5)).isEqualTo(3);
    }
  }

  @Test
  void build_wrongDataPassword_failsWithAuthentication() {
    String uri = uri(":not-the-secret@", 0);

    assertThat(rejection(store(uri)))
        .isInstanceOf(RedisConnectionException.class)
        .hasMessageStartingWith("authentication failed for redis-sentinel://***@"
            + group.sentinelAddress(0) + "/0#mymaster: ")
        .hasMessageContaining("check the user name and password")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-secret"));
  }

  @Test
  void build_missingDataPassword_failsWithAuthentication() {
    assertThat(rejection(store(uri("", 0))))
        .isInstanceOf(RedisConnectionException.class)
        .hasMessageStartingWith("authentication failed for redis-sentinel://"
            + group.sentinelAddress(0) + "/0#mymaster: NOAUTH");
  }

  @Test
  void build_missingSentinelPassword_failsNamingSentinel() {
    assertThat(rejection(store(uri(":" + DATA_PASSWORD + "@", 1))))
        .isInstanceOf(RedisConnectionException.class)
        .hasMessageStartingWith("authentication failed at the sentinels of"
            + " redis-sentinel://***@" + group.sentinelAddress(1) + "/0#mymaster: ")
        .hasMessageContaining("sentinelPassword")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(DATA_PASSWORD));
  }

  @Test
  void build_wrongSentinelPassword_failsNamingSentinel() {
    assertThat(rejection(store(uri(":" + DATA_PASSWORD + "@", 1))
        .sentinelPassword("not-the-sentinel-secret")))
        .isInstanceOf(RedisConnectionException.class)
        .hasMessageStartingWith("authentication failed at the sentinels of"
            + " redis-sentinel://***@" + group.sentinelAddress(1) + "/0#mymaster: ")
        .hasMessageContaining("sentinelPassword")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-sentinel-secret"));
  }

  /**
   * Returns the failure of {@code builder.build()} against a sentinel or master that rejects
   * the store's credentials. Lettuce 6.8.1 at times loses the server's reply when the server
   * closes the connection, and reports "RedisHandshakeHandler not registered" instead, a
   * failure that names no cause. Such a build is tried again, up to 5 times in all.
   */
  private static Throwable rejection(RedisStore.Builder builder) {
    Throwable failure = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try (RedisStore unexpected = builder.build()) {
        throw new AssertionError("build() succeeded against a sentinel that rejects it");
      } catch (RuntimeException e) {
        failure = e;
        if (!String.valueOf(e.getMessage()).contains("RedisHandshakeHandler not registered")) {
          return e;
        }
      }
    }
    return failure;
  }

  /** Returns a Sentinel URI of sentinel {@code index} with {@code userInfo} before its host. */
  private static String uri(String userInfo, int index) {
    return "redis-sentinel://" + userInfo + group.sentinelAddress(index) + "/0#"
        + SentinelGroup.MASTER_NAME;
  }

  private RedisStore.Builder store(String uri) {
    return RedisStore.builder()
        .uri(uri)
        .commandTimeout(TIMEOUT)
        .onFailure(FailureMode.DENY)
        .timeMode(TimeMode.CLIENT)
        .timeSource(clock);
  }

  /** Makes {@code requests} decisions of cost 1 on one key and counts the admitted ones. */
  private static long admitted(RedisStore store, String key, int requests) {
    RateLimiter limiter = RateLimiter.builder(POLICY).store(store).build();
    return IntStream.range(0, requests)
        .filter(i -> limiter.tryAcquire(key, 1).allowed())
        .count();
  }
}
