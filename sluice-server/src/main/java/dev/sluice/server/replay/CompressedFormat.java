package dev.sluice.server.replay;

import java.util.Arrays;
import java.util.Optional;

/**
 * A compressed file format that {@code sluice replay} recognizes by the first bytes of a log,
 * so that a compressed log is rejected with the command that decompresses it, instead of being
 * replayed as lines that are all malformed.
 *
 * <p>The gzip, xz and zstd signatures start with a byte that no text log starts with: a control
 * character, or a byte that is invalid as the first byte of UTF-8. The bzip2 signature of a
 * non-empty file is ASCII ({@code BZh}, a digit from 1 to 9, then {@code 1AY&SY}), so a text log
 * that starts with such 10 characters would be taken for bzip2.
 */
public enum CompressedFormat {
  /** RFC 1952: {@code 1f 8b}, as written by gzip and logrotate's default compression. */
  GZIP("gzip", "zcat", ".gz", bytes(0x1f, 0x8b)),
  /** {@code BZh}, the block size 1 to 9, then a block or end-of-stream marker. */
  BZIP2("bzip2", "bzcat", ".bz2", bytes('B', 'Z', 'h')),
  /** The xz stream header magic: {@code fd 37 7a 58 5a 00}. */
  XZ("xz", "xzcat", ".xz", bytes(0xfd, '7', 'z', 'X', 'Z', 0x00)),
  /** RFC 8878: the frame magic number {@code 0xFD2FB528}, stored little-endian. */
  ZSTD("zstd", "zstdcat", ".zst", bytes(0x28, 0xb5, 0x2f, 0xfd));

  /** The number of leading bytes that {@link #detect(byte[])} needs to recognize any format. */
  public static final int SIGNATURE_BYTES = 10;

  /** The bzip2 block header magic, the BCD digits of pi: {@code 31 41 59 26 53 59}. */
  private static final byte[] BZIP2_BLOCK = bytes(0x31, 0x41, 0x59, 0x26, 0x53, 0x59);

  /** The bzip2 end-of-stream magic, the BCD digits of sqrt(pi), which ends an empty stream. */
  private static final byte[] BZIP2_END = bytes(0x17, 0x72, 0x45, 0x38, 0x50, 0x90);

  private final String displayName;
  private final String decompressCommand;
  private final String suffix;
  private final byte[] signature;

  CompressedFormat(
      String displayName, String decompressCommand, String suffix, byte[] signature) {
    this.displayName = displayName;
    this.decompressCommand = decompressCommand;
    this.suffix = suffix;
    this.signature = signature;
  }

  /**
   * Returns the format whose signature {@code head} starts with, or empty for any other
   * content, including a file shorter than the signature.
   *
   * @param head the first {@link #SIGNATURE_BYTES} bytes of the file, or all of a shorter file
   */
  public static Optional<CompressedFormat> detect(byte[] head) {
    return Arrays.stream(values()).filter(format -> format.matches(head)).findFirst();
  }

  private boolean matches(byte[] head) {
    if (!startsWith(head, signature, 0)) {
      return false;
    }
    if (this != BZIP2) {
      return true;
    }
    int level = signature.length;
    int marker = level + 1;
    return head.length > level && head[level] >= '1' && head[level] <= '9'
        && (startsWith(head, BZIP2_BLOCK, marker) || startsWith(head, BZIP2_END, marker));
  }

  private static boolean startsWith(byte[] head, byte[] prefix, int offset) {
    return head.length >= offset + prefix.length
        && Arrays.equals(head, offset, offset + prefix.length, prefix, 0, prefix.length);
  }

  private static byte[] bytes(int... values) {
    byte[] result = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      result[i] = (byte) values[i];
    }
    return result;
  }

  /** Returns the format's usual name, such as {@code gzip}. */
  public String displayName() {
    return displayName;
  }

  /** Returns the program that writes the decompressed input to stdout, such as {@code zcat}. */
  public String decompressProgram() {
    return decompressCommand;
  }

  /**
   * Returns a shell command that decompresses {@code file} next to itself, such as
   * {@code zcat access.log.gz > access.log}. The output drops the format's usual suffix, or adds
   * {@code .txt} when the name lacks it, so that the command never overwrites its input.
   */
  public String decompressCommand(String file) {
    boolean hasSuffix = file.endsWith(suffix) && file.length() > suffix.length()
        && !file.endsWith("/" + suffix);
    String output = hasSuffix
        ? file.substring(0, file.length() - suffix.length())
        : file + ".txt";
    return decompressCommand + " " + file + " > " + output;
  }
}
