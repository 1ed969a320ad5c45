package dev.sluice.server.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sluice.Limit;
import dev.sluice.server.config.MessageText;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;

/**
 * The body of {@code POST /v1/check}: {@code {"policy": "api", "key": "user-42", "cost": 1}}.
 *
 * @param policy the name of a loaded policy
 * @param key what is limited, a non-empty string
 * @param cost the units the request takes, from 0 (only look) to {@link Limit#MAX_UNITS}
 */
record CheckRequest(String policy, String key, long cost) {

  private static final List<String> FIELDS = List.of("policy", "key", "cost");

  /**
   * The longest accepted key, in characters (Unicode code points); keys are kept in memory
   * while their state is.
   */
  static final int MAX_KEY_LENGTH = 1024;

  /**
   * The longest policy name, in characters, as the config loader allows. A longer
   * {@code policy} is rejected before the lookup, so that the not-found error does not echo it.
   */
  static final int MAX_POLICY_NAME_LENGTH = 64;

  /**
   * Reads fractions and exponents as {@link BigDecimal}, unstripped, so that a cost such as
   * {@code 1e999999999} keeps its value for the error message instead of becoming infinity,
   * and {@code 1.0} stays {@code 1.0}.
   */
  private static final ObjectMapper MAPPER = JsonMapper.builder(jsonFactory())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
      .build();

  private static final BigDecimal MAX_COST = BigDecimal.valueOf(Limit.MAX_UNITS);

  /** The maximum digits of a number in the body. A valid cost has at most 19. */
  static final int MAX_NUMBER_DIGITS = 1000;

  /** The maximum nesting depth of arrays and objects in the body. A valid body has depth 1. */
  static final int MAX_NESTING_DEPTH = 1000;

  /**
   * Returns a JSON factory with the body's number and nesting limits set here, rather than left
   * to Jackson's defaults, so that the error messages can state them.
   */
  private static JsonFactory jsonFactory() {
    return JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNumberLength(MAX_NUMBER_DIGITS)
            .maxNestingDepth(MAX_NESTING_DEPTH)
            .build())
        .build();
  }

  /**
   * Parses and checks a request body.
   *
   * @throws ApiException with status 400, naming the field at fault and what was expected
   */
  static CheckRequest parse(byte[] body) throws ApiException {
    requireUtf8(body);
    JsonNode root = readTree(body);
    if (!root.isObject()) {
      throw ApiException.badRequest("body",
          "request body must be a JSON object such as {\"policy\": \"default\", \"key\":"
              + " \"user-42\"}, got " + describe(root));
    }
    rejectUnknownFields(root);
    String policy = requiredText(root, "policy", "a string, the name of a loaded policy");
    int policyLength = policy.codePointCount(0, policy.length());
    if (policyLength > MAX_POLICY_NAME_LENGTH) {
      throw ApiException.badRequest("policy", "policy must be at most " + MAX_POLICY_NAME_LENGTH
          + " characters, the longest policy name, got " + policyLength);
    }
    String key = requiredText(root, "key", "a non-empty string that identifies the client");
    int keyLength = key.codePointCount(0, key.length());
    if (keyLength > MAX_KEY_LENGTH) {
      throw ApiException.badRequest("key", "key must be at most " + MAX_KEY_LENGTH
          + " characters, got " + keyLength + "; hash longer identifiers first");
    }
    return new CheckRequest(policy, key, cost(root.get("cost"), body));
  }

  /**
   * Rejects a body that is not UTF-8, the only encoding RFC 8259 (8.1) allows for JSON exchanged
   * between systems. Jackson would otherwise detect UTF-16 and UTF-32 by a byte order mark or
   * by NUL bytes, and read them. JSON text in UTF-8 never contains a NUL byte, because control
   * characters in strings must be escaped. A UTF-8 byte order mark passes, and Jackson skips it.
   */
  private static void requireUtf8(byte[] body) throws ApiException {
    if (startsWith(body, 0xFE, 0xFF) || startsWith(body, 0xFF, 0xFE)
        || startsWith(body, 0x00, 0x00, 0xFE, 0xFF)) {
      throw ApiException.badRequest("body",
          "request body must be UTF-8, got the byte order mark of UTF-16 or UTF-32");
    }
    for (int i = 0; i < body.length; i++) {
      if (body[i] == 0) {
        throw ApiException.badRequest("body", "request body must be UTF-8, got a NUL byte at"
            + " byte offset " + i + "; UTF-16 and UTF-32 are not accepted");
      }
    }
    ByteBuffer in = ByteBuffer.wrap(body);
    CoderResult result = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(in, CharBuffer.allocate(body.length), true);
    if (result.isError()) {
      throw ApiException.badRequest("body", "request body must be UTF-8, got an invalid byte"
          + " sequence at byte offset " + in.position());
    }
  }

  private static boolean startsWith(byte[] body, int... prefix) {
    if (body.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((body[i] & 0xFF) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static JsonNode readTree(byte[] body) throws ApiException {
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (StreamConstraintsException e) {
      throw exceedsParserLimit(e, body);
    } catch (JacksonException e) {
      throw ApiException.badRequest("body", "request body is not valid JSON" + position(e)
          + ": " + reason(e) + "; expected a JSON object such as {\"policy\": \"default\","
          + " \"key\": \"user-42\"}");
    } catch (IOException e) {
      throw ApiException.badRequest("body", "request body cannot be read: " + e.getMessage());
    } catch (NumberFormatException e) {
      // BigDecimal takes exponents only within the range of an int.
      throw ApiException.badRequest("body", "request body has a number whose exponent is out"
          + " of range; expected cost as a whole number from 0 to " + Limit.MAX_UNITS);
    }
    if (root == null || root.isMissingNode()) {
      throw ApiException.badRequest("body", "request body is empty; expected a JSON object");
    }
    return root;
  }

  /**
   * Returns the error for a body beyond a limit of the parser, in terms of the body, naming the
   * field where the parser was. Jackson distinguishes the limits only by its message, which
   * starts with "Number value length", "Document nesting depth" or "Name length" in Jackson
   * 2.21; a test pins each, so that a Jackson upgrade that rewords them fails it.
   */
  private static ApiException exceedsParserLimit(StreamConstraintsException e, byte[] body) {
    String message = String.valueOf(e.getOriginalMessage());
    String problem;
    if (message.startsWith("Number value length")) {
      problem = "has a number of more than " + MAX_NUMBER_DIGITS + " digits";
    } else if (message.startsWith("Document nesting depth")) {
      problem = "is nested deeper than " + MAX_NESTING_DEPTH + " levels of arrays and objects";
    } else if (message.startsWith("Name length")) {
      // The name being read is not the current name yet: the nearest one is the field before.
      return ApiException.badRequest("body", "request body has a field name longer than "
          + StreamReadConstraints.DEFAULT_MAX_NAME_LEN + " characters; expected the fields"
          + " policy, key and cost");
    } else {
      problem = "exceeds a size limit of the JSON parser";
    }
    LimitPoint point = LimitPoint.find(body);
    String where = point.position() + (point.field() == null ? "" : " in field '"
        + point.field() + "'");
    return ApiException.badRequest(point.field() == null ? "body" : point.field(),
        "request body " + problem + where + "; expected a JSON object such as {\"policy\":"
            + " \"default\", \"key\": \"user-42\"}");
  }

  /**
   * The point where a body exceeds a limit of the parser: {@code " at line L, column C"} or
   * empty, and the nearest enclosing field name, truncated, or null.
   */
  private record LimitPoint(String position, String field) {

    /**
     * Parses the body again, token by token, up to the limit it exceeds, because the exception
     * carries neither the parser nor a location.
     */
    static LimitPoint find(byte[] body) {
      try (JsonParser parser = MAPPER.createParser(body)) {
        try {
          while (parser.nextToken() != null) {
            // Only the point of failure matters.
          }
        } catch (StreamConstraintsException e) {
          JsonLocation where = parser.currentLocation();
          return new LimitPoint(" at line " + where.getLineNr() + ", column "
              + where.getColumnNr(), nearestFieldName(parser.getParsingContext()));
        }
      } catch (IOException e) {
        // The body failed differently on the second pass, so the error names no point.
      }
      return new LimitPoint("", null);
    }

    private static String nearestFieldName(JsonStreamContext innermost) {
      for (JsonStreamContext c = innermost; c != null; c = c.getParent()) {
        if (c.getCurrentName() != null) {
          return MessageText.truncate(c.getCurrentName());
        }
      }
      return null;
    }
  }

  private static String position(JacksonException e) {
    JsonLocation where = e.getLocation();
    return where == null || where.getLineNr() < 1
        ? ""
        : " at line " + where.getLineNr() + ", column " + where.getColumnNr();
  }

  /**
   * Returns the parser's reason without its advice to change parser settings or its source
   * description, which mean nothing to a client: {@code Unrecognized token 'garbage'}.
   */
  private static String reason(JacksonException e) {
    String message = String.valueOf(e.getOriginalMessage());
    if (message.startsWith("Trailing token")) {
      return "unexpected content after the JSON object";
    }
    int end = message.indexOf(": ");
    return end > 0 ? message.substring(0, end) : message;
  }

  private static void rejectUnknownFields(JsonNode root) throws ApiException {
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        String quoted = MessageText.truncate(name);
        throw ApiException.badRequest(quoted,
            "unknown field '" + quoted + "'; expected policy, key and optionally cost");
      }
    }
  }

  private static String requiredText(JsonNode root, String field, String expected)
      throws ApiException {
    JsonNode value = root.get(field);
    if (value == null) {
      throw ApiException.badRequest(field, field + " is missing; expected " + expected);
    }
    if (!value.isTextual()) {
      throw ApiException.badRequest(field,
          field + " must be " + expected + ", got " + describe(value));
    }
    if (value.textValue().isEmpty()) {
      throw ApiException.badRequest(field, field + " must not be empty; expected " + expected);
    }
    return value.textValue();
  }

  /**
   * Returns the cost, 1 when absent; rejects fractions, negatives and values beyond any burst.
   * The range is checked before the form, so that {@code 1e999999999} is reported as too large.
   * Comparing a {@link BigDecimal} looks at its exponent first, so a huge exponent costs nothing.
   */
  private static long cost(JsonNode value, byte[] body) throws ApiException {
    if (value == null) {
      return 1;
    }
    if (!value.isNumber()) {
      throw notWholeNumber(describe(value));
    }
    BigDecimal number = value.decimalValue();
    if (number.signum() < 0) {
      throw ApiException.badRequest("cost", "cost must be at least 0, got " + costText(body));
    }
    if (number.compareTo(MAX_COST) > 0) {
      throw ApiException.badRequest("cost",
          "cost must be at most " + Limit.MAX_UNITS + ", got " + costText(body));
    }
    if (!value.isIntegralNumber()) {
      throw notWholeNumber(costText(body));
    }
    return value.longValue();
  }

  private static ApiException notWholeNumber(String described) {
    return ApiException.badRequest("cost",
        "cost must be a whole number from 0 to " + Limit.MAX_UNITS + ", got " + described);
  }

  /**
   * Returns the number of the top-level {@code cost} field as the body writes it, truncated, so
   * that an error quotes {@code 1E0} or {@code -0.0} rather than the value {@code 1} or
   * {@code 0.0} that the tree keeps. Parses the body again, which {@link #readTree} already
   * accepted, with no duplicate fields, so the first {@code cost} at depth 1 is the one.
   */
  private static String costText(byte[] body) {
    try (JsonParser parser = MAPPER.createParser(body)) {
      parser.nextToken();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        parser.nextToken();
        if (name.equals("cost")) {
          return MessageText.truncate(parser.getText());
        }
        parser.skipChildren();
      }
    } catch (IOException e) {
      throw new IllegalStateException("a body that parsed once failed to parse again", e);
    }
    throw new IllegalStateException("a body with a numeric cost has no top-level cost field");
  }

  private static String describe(JsonNode value) {
    return switch (value.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NULL -> "null";
      case BOOLEAN -> value.asText();
      case STRING -> "the string \"" + MessageText.truncate(value.textValue()) + "\"";
      default -> MessageText.truncate(value.toString());
    };
  }
}
