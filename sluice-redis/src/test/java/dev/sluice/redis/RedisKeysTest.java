package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RedisKeysTest {

  @Test
  void encode_unreservedCharacters_keptAsTheyAre() {
    assertThat(RedisKeys.encode("user-42_a.b~C")).isEqualTo("user-42_a.b~C");
  }

  @Test
  void encode_reservedAscii_percentEncoded() {
    assertThat(RedisKeys.encode("{a}:b c\n%")).isEqualTo("%7Ba%7D%3Ab%20c%0A%25");
  }

  @Test
  void encode_nonAscii_percentEncodedUtf8() {
    assertThat(RedisKeys.encode("é")).isEqualTo("%C3%A9");
    assertThat(RedisKeys.encode("\uD83D\uDE00")).isEqualTo("%F0%9F%98%80");
  }

  @Test
  void encode_loneSurrogatesAndNul_encodedDistinctly() {
    assertThat(RedisKeys.encode("\uD800")).isEqualTo("%uD800");
    assertThat(RedisKeys.encode("\uDC00x")).isEqualTo("%uDC00x");
    assertThat(RedisKeys.encode("\u0000")).isEqualTo("%00");
  }

  @Test
  void tag_bracesInKey_oneTagPerKey() {
    String tag = RedisKeys.tag("sluice", "api", "{x}}{");

    assertThat(tag).isEqualTo("sluice:{api:%7Bx%7D%7D%7B}:");
  }

  @Test
  void encode_randomStrings_oneToOne() {
    Random random = new Random(7);
    char[] alphabet = {'a', 'u', '%', '2', '5', 'A', '{', '}', ':', ' ', '\n', '\u0000', 'é',
        '\uD800', '\uDC00', '\uFFFF'};
    Map<String, String> inputByEncoding = new HashMap<>();
    for (int i = 0; i < 20_000; i++) {
      StringBuilder input = new StringBuilder();
      int length = random.nextInt(6);
      for (int j = 0; j < length; j++) {
        input.append(alphabet[random.nextInt(alphabet.length)]);
      }
      String encoded = RedisKeys.encode(input.toString());
      assertThat(encoded).doesNotContain("{", "}", ":").matches("[\\x21-\\x7e]*");
      String earlier = inputByEncoding.putIfAbsent(encoded, input.toString());
      assertThat(earlier).as("input that also encodes to %s", encoded)
          .isIn(null, input.toString());
    }
  }
}
