package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PrintableTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      plain key 42         | plain key 42
      tab\there            | tab\\x09here
      back\\slash          | back\\\\slash
      no\u00a0break        | no\\u{00a0}break
      figure\u2007space    | figure\\u{2007}space
      ideographic\u3000sp  | ideographic\\u{3000}sp
      line\u2028sep        | line\\u{2028}sep
      zero\u200bwidth      | zero\\u{200b}width
      soft\u00adhyphen     | soft\\u{00ad}hyphen
      délai 時間            | délai 時間
      """)
  void escape_text_showsEveryHiddenCharacter(String text, String expected) {
    assertThat(Printable.escape(text)).isEqualTo(expected);
  }

  @Test
  void escape_asciiControl_writtenAsHexByte() {
    assertThat(Printable.escape("nul\u0000")).isEqualTo("nul\\x00");
    assertThat(Printable.escape("del\u007f")).isEqualTo("del\\x7f");
    assertThat(Printable.escape("line\nbreak")).isEqualTo("line\\x0abreak");
  }

  @Test
  void escape_null_printedAsNull() {
    assertThat(Printable.escape(null)).isEqualTo("null");
  }
}
