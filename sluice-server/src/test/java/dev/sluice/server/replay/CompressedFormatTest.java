package dev.sluice.server.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class CompressedFormatTest {

  private static final String LINE =
      "a - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1\n";

  /**
   * Lists the first 12 bytes of real files: {@link #LINE} compressed by bzip2 1.0.8, xz 5.4.1
   * and zstd 1.5.4, and an empty file compressed by bzip2, which ends at once with its
   * end-of-stream marker.
   */
  static Stream<Arguments> compressedHeads() {
    return Stream.of(
        Arguments.of("425a6839314159265359a545", CompressedFormat.BZIP2),
        Arguments.of("425a68391772453850900000", CompressedFormat.BZIP2),
        Arguments.of("fd377a585a000004e6d6b446", CompressedFormat.XZ),
        Arguments.of("28b52ffd243ad1010061202d", CompressedFormat.ZSTD));
  }

  @ParameterizedTest
  @MethodSource("compressedHeads")
  void detect_realFileHead_returnsItsFormat(String hex, CompressedFormat expected) {
    byte[] head = HexFormat.of().parseHex(hex);

    assertThat(CompressedFormat.detect(head)).contains(expected);
  }

  @Test
  void detect_gzipOutput_returnsGzip() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
      gzip.write(LINE.getBytes(StandardCharsets.UTF_8));
    }
    byte[] head = Arrays.copyOf(bytes.toByteArray(), CompressedFormat.SIGNATURE_BYTES);

    assertThat(CompressedFormat.detect(head)).contains(CompressedFormat.GZIP);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "a", "\u001f", "BZh", "BZh9", "BZh0AY&SY", "BZh91AY&SX", "BZhaon - - [10/Oct/2000",
      "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1"})
  void detect_textOrShortHead_returnsEmpty(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    byte[] head = Arrays.copyOf(bytes, Math.min(bytes.length, CompressedFormat.SIGNATURE_BYTES));

    assertThat(CompressedFormat.detect(head)).isEmpty();
  }

  @Test
  void decompressCommand_withSuffix_dropsIt() {
    assertThat(CompressedFormat.GZIP.decompressCommand("logs/access.log.gz"))
        .isEqualTo("zcat logs/access.log.gz > logs/access.log");
    assertThat(CompressedFormat.ZSTD.decompressCommand("access.log.zst"))
        .isEqualTo("zstdcat access.log.zst > access.log");
  }

  @Test
  void decompressCommand_withoutSuffix_addsTxt() {
    assertThat(CompressedFormat.XZ.decompressCommand("access.log"))
        .isEqualTo("xzcat access.log > access.log.txt");
    assertThat(CompressedFormat.BZIP2.decompressCommand("logs/.bz2"))
        .isEqualTo("bzcat logs/.bz2 > logs/.bz2.txt");
  }
}
