package dev.sluice.redis;

import java.nio.charset.StandardCharsets;

/**
 * Builds the Redis key of each limit of a policy for a user key.
 *
 * <p>A key reads {@code prefix:{policy:userKey}:limitName:algorithm}. The part in braces is the
 * Redis Cluster hash tag, so all limits of one decision live in one slot and one script call
 * can read and write them. Policy, user key and limit name are percent-encoded: everything but
 * ASCII letters, digits and {@code - . _ ~} becomes {@code %XX} per UTF-8 byte, and a lone
 * surrogate, which has no UTF-8 form, becomes {@code %uXXXX}. Hence no part can contain a brace
 * that would move the hash tag, or a colon that would make two keys collide: the encoding is
 * one-to-one, so distinct inputs give distinct keys.
 */
final class RedisKeys {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private RedisKeys() {}

  /** Returns the hash-tagged part shared by all limits of a policy for one user key. */
  static String tag(String prefix, String policy, String userKey) {
    return tag(tagStart(prefix, policy), userKey);
  }

  /** Returns the tag of a user key from the {@link #tagStart} of its policy. */
  static String tag(String tagStart, String userKey) {
    return tagStart + encode(userKey) + "}:";
  }

  /** Returns the start of every {@link #tag} of a policy, up to the encoded user key. */
  static String tagStart(String prefix, String policy) {
    return prefix + ":{" + encode(policy) + ":";
  }

  /** Returns the suffix that identifies one limit after the tag. */
  static String limitSuffix(String limitName, String algorithm) {
    return encode(limitName) + ":" + algorithm;
  }

  /** Percent-encodes text as described in the class documentation. */
  static String encode(String text) {
    if (isUnreserved(text)) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    int i = 0;
    while (i < text.length()) {
      int codePoint = text.codePointAt(i);
      int length = Character.charCount(codePoint);
      if (isUnreserved(codePoint)) {
        out.append((char) codePoint);
      } else if (length == 1 && Character.isSurrogate(text.charAt(i))) {
        out.append("%u").append(hex(codePoint >> 8)).append(hex(codePoint));
      } else {
        String character = text.substring(i, i + length);
        for (byte b : character.getBytes(StandardCharsets.UTF_8)) {
          out.append('%').append(hex(b));
        }
      }
      i += length;
    }
    return out.toString();
  }

  private static boolean isUnreserved(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (!isUnreserved(text.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }

  private static String hex(int b) {
    return new String(new char[] {HEX[(b >> 4) & 0xF], HEX[b & 0xF]});
  }
}
