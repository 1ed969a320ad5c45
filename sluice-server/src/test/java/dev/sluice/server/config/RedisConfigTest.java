package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.redis.FailureMode;
import dev.sluice.redis.TimeMode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RedisConfigTest {

  @Test
  void toString_credentialsInUriAndSentinelPassword_masked() {
    RedisConfig config = new RedisConfig(
        Optional.of("redis-sentinel://alice:uri-secret@127.0.0.1:26379#main"), List.of(),
        "sluice", Duration.ofMillis(50), FailureMode.ALLOW, 1, TimeMode.SERVER,
        Optional.empty(), Optional.of("sentinel-secret"), false);

    assertThat(config.toString())
        .contains("redis-sentinel://***@127.0.0.1:26379#main", "sentinelPassword=Optional[***]")
        .doesNotContain("uri-secret", "sentinel-secret", "alice");
  }

  @Test
  void toString_clusterSeedsWithPasswords_masked() {
    RedisConfig config = RedisConfig.clusterDefaults(
        List.of("redis://:seed-secret@127.0.0.1:7000", "redis://127.0.0.1:7001"));

    assertThat(config.toString())
        .contains("[redis://***@127.0.0.1:7000, redis://127.0.0.1:7001]")
        .doesNotContain("seed-secret");
  }
}
