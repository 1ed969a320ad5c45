package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A policy whose local share breaks a rule of {@link Limit} must be rejected by the loader,
 * with the file and line, like every other invalid config.
 *
 * <p>Token bucket 3 per 3532d with burst 31 recovers its burst in 31 / 3 x 3532d = 36497d,
 * within the 36500d bound. Its share for {@code local_share: 3} is 1 per 3532d with burst
 * ceil(31 / 3) = 11, which takes 11 x 3532d = 38852d, beyond the bound. The loader accepts the
 * file, and {@code sluice serve} then exits with status 1 and
 * {@code sluice serve failed to start on 127.0.0.1:0: burst 11 at 1 per 3532d takes longer
 * than 36500d to recover; lower the burst or raise the limit}: no file, no line, numbers the
 * file does not contain, and no word of {@code local_share}.
 */
class LocalShareConfigTest {

  @Test
  void load_unrecoverableLocalShare_rejected() throws URISyntaxException {
    Path file = Path.of(LocalShareConfigTest.class
        .getResource("/bad-configs/local-share-unrecoverable.yaml").toURI());
    // The policy itself is valid: 31 x 3532d / 3 is under 36500d.
    assertThat(Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofDays(3532))
        .withBurst(31).burst()).isEqualTo(31);

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(file + ":")
        .hasMessageContaining("local_share");
  }
}
