package dev.sluice.server.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sluice.Limit;
import java.io.IOException;
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

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  /**
   * Parses and checks a request body.
   *
   * @throws ApiException with status 400, naming the field at fault and what was expected
   */
  static CheckRequest parse(byte[] body) throws ApiException {
    JsonNode root = readTree(body);
    if (!root.isObject()) {
      throw ApiException.badRequest("body",
          "request body must be a JSON object such as {\"policy\": \"default\", \"key\":"
              + " \"user-42\"}, got " + describe(root));
    }
    rejectUnknownFields(root);
    String policy = requiredText(root, "policy", "the name of a loaded policy");
    String key = requiredText(root, "key", "a non-empty string that identifies the client");
    return new CheckRequest(policy, key, cost(root.get("cost")));
  }

  private static JsonNode readTree(byte[] body) throws ApiException {
    if (body.length == 0) {
      throw ApiException.badRequest("body", "request body is empty; expected a JSON object");
    }
    try {
      return MAPPER.readTree(body);
    } catch (JacksonException e) {
      JsonLocation where = e.getLocation();
      String position = where == null
          ? ""
          : " at line " + where.getLineNr() + ", column " + where.getColumnNr();
      throw ApiException.badRequest("body",
          "request body is not valid JSON" + position + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ApiException.badRequest("body", "request body cannot be read: " + e.getMessage());
    }
  }

  private static void rejectUnknownFields(JsonNode root) throws ApiException {
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw ApiException.badRequest(name,
            "unknown field '" + name + "'; expected policy, key and optionally cost");
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
          field + " must be a string, " + expected + ", got " + describe(value));
    }
    if (value.textValue().isEmpty()) {
      throw ApiException.badRequest(field, field + " must not be empty; expected " + expected);
    }
    return value.textValue();
  }

  /** Returns the cost, 1 when absent; rejects fractions, negatives and values beyond any burst. */
  private static long cost(JsonNode value) throws ApiException {
    if (value == null) {
      return 1;
    }
    if (!value.isIntegralNumber()) {
      throw ApiException.badRequest("cost",
          "cost must be a whole number from 0 to " + Limit.MAX_UNITS + ", got " + describe(value));
    }
    if (value.bigIntegerValue().signum() < 0) {
      throw ApiException.badRequest("cost", "cost must be at least 0, got " + value);
    }
    if (!value.canConvertToLong() || value.longValue() > Limit.MAX_UNITS) {
      throw ApiException.badRequest("cost",
          "cost must be at most " + Limit.MAX_UNITS + ", got " + value);
    }
    return value.longValue();
  }

  private static String describe(JsonNode value) {
    return switch (value.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NULL -> "null";
      case BOOLEAN -> value.asText();
      case STRING -> "the string " + value;
      default -> value.toString();
    };
  }
}
