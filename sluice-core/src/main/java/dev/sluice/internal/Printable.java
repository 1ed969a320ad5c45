package dev.sluice.internal;

import java.util.Locale;

/** Text quoted in error messages, made safe to print. */
public final class Printable {

  private Printable() {}

  /**
   * Escapes what a terminal would not show as text, so that a message or a line of output
   * stays one line and cannot forge log lines or recolour a terminal. A backslash becomes
   * {@code \\}, a non-printable ASCII character {@code \xNN}, and any other control, format,
   * separator, surrogate, private-use or unassigned code point <code>&#92;u{XXXX}</code> in
   * hexadecimal. A null text gives {@code null}, as string concatenation would.
   */
  public static String escape(String text) {
    if (text == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(text.length());
    text.codePoints().forEach(c -> {
      if (c == '\\') {
        out.append("\\\\");
      } else if (c < 0x80 && (c < 0x20 || c == 0x7f)) {
        out.append(String.format(Locale.ROOT, "\\x%02x", c));
      } else if (!isPrintable(c)) {
        out.append(String.format(Locale.ROOT, "\\u{%04x}", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return out.toString();
  }

  private static boolean isPrintable(int codePoint) {
    return switch (Character.getType(codePoint)) {
      // A space other than U+0020, such as a no-break space, looks like one and is not.
      case Character.SPACE_SEPARATOR -> codePoint == ' ';
      case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR,
          Character.PARAGRAPH_SEPARATOR, Character.SURROGATE, Character.PRIVATE_USE,
          Character.UNASSIGNED -> false;
      default -> true;
    };
  }
}
