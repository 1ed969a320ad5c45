package dev.sluice.redis;

import io.lettuce.core.RedisURI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the parts of a Redis URI that Lettuce 6.8.1 reads leniently: it connects to port 6379
 * for port 0, and keeps its default timeout of 60 s for a {@code timeout} it cannot read, such
 * as {@code timeout=abc}, or reads only the leading digits, as 5 ms for {@code timeout=5.5s}.
 * It ignores an option it does not know, such as a misspelt {@code timout=5s}, and a
 * {@code database} that does not start with a digit, and so connects to database 0.
 */
final class UriChecks {

  /** The options that Lettuce reads from a URI's query, in lower case: it ignores case. */
  private static final List<String> OPTIONS = List.of("timeout", "database", "db", "clientname",
      "libraryname", "libraryversion", "verifypeer", "sentinelmasterid");

  /** The options as a message lists them. */
  private static final String OPTION_NAMES = "timeout, database (or db), clientName,"
      + " libraryName, libraryVersion, verifyPeer or sentinelMasterId";

  /** The scheme and {@code ://} that start a URI, such as {@code rediss://}. */
  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://");

  /**
   * The longest URI timeout. Lettuce adds it to the current time in nanoseconds, which overflows
   * for values near 292 years, and a handshake that takes longer than a day has failed.
   */
  private static final Duration MAX_TIMEOUT = Duration.ofDays(1);

  /** An invalid option value that a message may show: short, without a URI's delimiters. */
  private static final Pattern SHOWN_VALUE = Pattern.compile("[A-Za-z0-9 ._+-]{0,30}");

  /** A host name as java.net.URI reads it in a server-based authority, or an IPv4 address. */
  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9.%-]+");

  /** A port as digits, at most five; its range is checked apart. */
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

  /** A database number, as a path {@code /3} or an option {@code database=3}. */
  private static final Pattern DATABASE = Pattern.compile("[0-9]{1,9}");

  /** A {@code timeout} value as Lettuce reads it whole: digits and an optional unit. */
  private static final Pattern TIMEOUT =
      Pattern.compile("[0-9]{1,18}(ns|us|ms|s|m|h|d)?", Pattern.CASE_INSENSITIVE);

  /** Hosts without user info: names or bracketed addresses, each with an optional port. */
  private static final Pattern HOST_LIST = Pattern.compile(
      "(?:[^@:/?#,\\[\\]]+|\\[[0-9A-Fa-f:.%]+\\])(?::[0-9]+)?"
          + "(?:,(?:[^@:/?#,\\[\\]]+|\\[[0-9A-Fa-f:.%]+\\])(?::[0-9]+)?)*");

  private UriChecks() {}

  /**
   * Rejects, in a URI written as text:
   *
   * <ul>
   *   <li>a missing scheme;
   *   <li>a user name or password with an {@code @}, {@code /} or {@code ?} that is not
   *       percent-encoded (a {@code #} is not detected, because what follows it may be a
   *       Sentinel master's name);
   *   <li>a user name with an empty password or an encoded {@code :};
   *   <li>a port on any host that is not a number from 1 to 65535, with a message of its own
   *       for port 0, and a host name with a port that {@link java.net.URI} does not accept;
   *   <li>a database, as the path or an option, that is not a whole number, or given twice;
   *   <li>a fragment outside a Sentinel URI, and options after a Sentinel master's name;
   *   <li>an option that Lettuce does not read, one without a value, and one given twice;
   *   <li>a {@code timeout} that is not a positive whole number with an optional unit, up to a
   *       day, and a {@code verifyPeer} other than none, ca or full, or without TLS.
   * </ul>
   *
   * @param name the option as the message names it, such as {@code uri}
   * @throws IllegalArgumentException naming the URI with its user name and password masked
   */
  static void check(String uri, String name) {
    check(uri, name, "redis://, rediss://, redis-sentinel://, rediss-sentinel:// or"
        + " redis-socket://");
  }

  /**
   * Checks a URI as {@link #check(String, String)} does, naming {@code schemes} as those to
   * start it with when it has no scheme.
   */
  static void check(String uri, String name, String schemes) {
    if (!SCHEME.matcher(uri).lookingAt()) {
      // Lettuce's own message is only "URI scheme must not be null" or "Illegal character in
      // scheme name".
      throw new IllegalArgumentException(name + " must be a Redis URI such as"
          + " redis://host:6379, got '" + RedisStore.maskUserInfo(uri) + "': it does not start"
          + " with a scheme, so start it with " + schemes);
    }
    String scheme = uri.substring(0, uri.indexOf("://")).toLowerCase(Locale.ROOT);
    boolean sentinel = isSentinelScheme(scheme);
    boolean socket = scheme.equals("redis-socket") || scheme.equals("redis+socket");
    boolean tls = scheme.equals("rediss") || scheme.equals("rediss-sentinel")
        || scheme.equals("redis+ssl") || scheme.equals("redis+tls");
    String rest = uri.substring(uri.indexOf("://") + 3);
    String authority = authorityOf(rest);
    checkUserInfo(uri, name, authority, rest);
    checkUserName(uri, name, authority);
    for (String host : authority.substring(authority.lastIndexOf('@') + 1).split(",")) {
      checkPort(host, name, uri, sentinel);
    }
    boolean databasePath = !socket && checkDatabasePath(uri, name, rest, authority);
    boolean fragment = checkFragment(uri, name, sentinel);
    Set<String> optionsSeen = new HashSet<>();
    if (databasePath) {
      optionsSeen.add("database");
    }
    for (String[] option : options(uri)) {
      checkOption(option[0], option[1], name, uri, sentinel, tls);
      String lower = option[0].toLowerCase(Locale.ROOT);
      String key = lower.equals("db") ? "database" : lower;
      if (!optionsSeen.add(key)) {
        throw new IllegalArgumentException(key.equals("database")
            ? name + " gives the database more than once in '" + RedisStore.maskUserInfo(uri)
                + "', expected one of /N, database=N or db=N"
            : name + " gives the option '" + option[0] + "' more than once in '"
                + RedisStore.maskUserInfo(uri) + "', expected it once");
      }
      if (key.equals("sentinelmasterid") && fragment) {
        throw new IllegalArgumentException(name + " names the master both after # and with "
            + option[0] + " in '" + RedisStore.maskUserInfo(uri) + "', expected one of them");
      }
    }
  }

  private static boolean isSentinelScheme(String scheme) {
    return scheme.equals("redis-sentinel") || scheme.equals("rediss-sentinel");
  }

  /**
   * Returns the values of the {@code timeout} options of a URI written as text, in any case of
   * the name, as Lettuce reads them.
   */
  static List<String> timeoutOptions(String uri) {
    List<String> values = new ArrayList<>();
    for (String[] option : options(uri)) {
      if (option[0].equalsIgnoreCase("timeout") && option[1] != null) {
        values.add(option[1]);
      }
    }
    return values;
  }

  /**
   * Returns the options of a URI written as text, each as its name and its value (null for an
   * option without {@code =}), as Lettuce reads them: it decodes the query's percent-escapes
   * first and then splits it at {@code &} and {@code ;}, so an encoded {@code &} still splits.
   * A query that cannot be decoded gives no options, for the parser to reject.
   */
  private static List<String[]> options(String uri) {
    String query = rawQuery(uri);
    if (query == null) {
      return List.of();
    }
    String decoded;
    try {
      decoded = decode(query);
    } catch (IllegalArgumentException undecodable) {
      // The parser rejects the URI with its own message.
      return List.of();
    }
    List<String[]> options = new ArrayList<>();
    for (String option : decoded.split("[&;]")) {
      if (option.isEmpty()) {
        continue;
      }
      int equals = option.indexOf('=');
      options.add(equals < 0
          ? new String[] {option, null}
          : new String[] {option.substring(0, equals), option.substring(equals + 1)});
    }
    return options;
  }

  /**
   * Returns the query of a URI written as text, between the first {@code ?} and the fragment,
   * or null. A {@code ?} in the fragment, a Sentinel master's name, starts no query.
   */
  private static String rawQuery(String uri) {
    String beforeFragment = uri.split("#", 2)[0];
    int query = beforeFragment.indexOf('?');
    return query < 0 ? null : beforeFragment.substring(query + 1);
  }

  /**
   * Returns a URI written as text with what may be a secret outside its user info replaced by
   * {@code ***}, because other clients read {@code ?password=...} and messages that reject such
   * an option show the URI:
   *
   * <ul>
   *   <li>the query from the first option that Lettuce does not read on, keeping that option's
   *       name when it has a value, such as {@code ?timeout=1s&password=***};
   *   <li>the fragment of a URI other than a Sentinel one, which Lettuce does not read, and a
   *       Sentinel master's name from its first {@code ?}, {@code &} or {@code =} on.
   * </ul>
   */
  static String maskOptions(String uri) {
    int hash = uri.indexOf('#');
    String head = hash < 0 ? uri : uri.substring(0, hash);
    int question = head.indexOf('?');
    StringBuilder masked = new StringBuilder(question < 0 ? head : head.substring(0, question + 1));
    if (question >= 0) {
      String[] tokens = head.substring(question + 1).split("(?<=[&;])");
      for (int i = 0; i < tokens.length; i++) {
        String option = tokens[i].replaceFirst("[&;]$", "");
        String known = knownOptionName(option);
        if (option.isEmpty() || known != null) {
          masked.append(tokens[i]);
          continue;
        }
        String decoded = decodeOrNull(option);
        int equals = decoded == null ? -1 : decoded.indexOf('=');
        String optionName = equals < 0 ? "" : decoded.substring(0, equals);
        masked.append(equals > 0 && indexOfAny(optionName, "&;") < 0 ? optionName + "=***"
            : "***");
        if (i < tokens.length - 1) {
          masked.append("&***");
        }
        break;
      }
    }
    if (hash >= 0) {
      String fragment = uri.substring(hash + 1);
      int schemeEnd = uri.indexOf("://");
      boolean sentinel = schemeEnd >= 0
          && isSentinelScheme(uri.substring(0, schemeEnd).toLowerCase(Locale.ROOT));
      int cut = indexOfAny(fragment, "?&=");
      masked.append('#').append(!sentinel ? "***"
          : cut < 0 ? fragment : fragment.substring(0, cut) + "***");
    }
    return masked.toString();
  }

  /**
   * Returns the name of an option written as text when Lettuce reads it, as written, or null:
   * for an option it does not read, and one that does not decode to a single option.
   */
  private static String knownOptionName(String option) {
    String decoded = decodeOrNull(option);
    if (decoded == null || indexOfAny(decoded, "&;") >= 0) {
      return null;
    }
    int equals = decoded.indexOf('=');
    String optionName = equals < 0 ? decoded : decoded.substring(0, equals);
    String lower = optionName.toLowerCase(Locale.ROOT);
    // Lettuce ignores DB= and Db=, and a value with '?', '=', '#' or '@' may be a typo that
    // swallowed a password, such as timeout=1s?password=x.
    boolean read = OPTIONS.contains(lower) && (!lower.equals("db") || optionName.equals("db"));
    boolean plain = equals < 0 || indexOfAny(decoded.substring(equals + 1), "?=#@") < 0;
    return read && plain ? optionName : null;
  }

  private static String decodeOrNull(String text) {
    try {
      return decode(text);
    } catch (IllegalArgumentException undecodable) {
      return null;
    }
  }

  /** Decodes percent-escapes; a {@code +} stays, as in a URI's query. */
  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /**
   * Rejects user info that Lettuce would misread: a user name with an empty password, for which
   * it sends no credentials at all, and a user name with an encoded {@code :}, since it
   * decodes the user info before it splits it at the first {@code :}.
   */
  private static void checkUserName(String uri, String name, String authority) {
    int at = authority.lastIndexOf('@');
    if (at < 0) {
      return;
    }
    String userInfo = authority.substring(0, at);
    int colon = userInfo.indexOf(':');
    String user = colon < 0 ? "" : userInfo.substring(0, colon);
    if (!user.isEmpty() && colon == userInfo.length() - 1) {
      throw new IllegalArgumentException(name + " has a user name without a password in '"
          + RedisStore.maskUserInfo(uri) + "'; Lettuce would send no credentials at all, so"
          + " write user:password@");
    }
    if (user.toUpperCase(Locale.ROOT).contains("%3A")) {
      throw new IllegalArgumentException(name + " has a user name with an encoded ':' in '"
          + RedisStore.maskUserInfo(uri) + "'; Lettuce decodes it and then splits the user name"
          + " from the password at the first ':', so a user name cannot contain one");
    }
  }

  /**
   * Rejects a fragment where Lettuce would ignore it or misread it: only a Sentinel URI reads
   * one, as the master's name, and takes any {@code ?}, {@code &}, {@code =} or {@code /} after
   * the {@code #} as part of that name. Returns whether the URI has a fragment.
   */
  private static boolean checkFragment(String uri, String name, boolean sentinel) {
    int hash = uri.indexOf('#');
    if (hash < 0) {
      return false;
    }
    if (!sentinel) {
      throw new IllegalArgumentException(name + " has a fragment (#...) in '"
          + RedisStore.maskUserInfo(uri) + "', which only a Sentinel URI reads, as the"
          + " master's name; remove it");
    }
    if (indexOfAny(uri.substring(hash + 1), "?&=/") >= 0) {
      throw new IllegalArgumentException(name + " has options after the master's name in '"
          + RedisStore.maskUserInfo(uri) + "', which Lettuce would read as part of the name;"
          + " write them before the #, such as redis-sentinel://host:26379?timeout=5s#mymaster");
    }
    return true;
  }

  /**
   * Rejects a path that is not a database number: Lettuce reads the path of a server or
   * Sentinel URI as one, and fails on anything else with only "For input string". A socket
   * URI's path is the socket's. Returns whether the path gives a database.
   */
  private static boolean checkDatabasePath(
      String uri, String name, String rest, String authority) {
    if (authority.isEmpty()) {
      return false;
    }
    int end = indexOfAny(rest.substring(authority.length()), "?#");
    String path = end < 0
        ? rest.substring(authority.length())
        : rest.substring(authority.length(), authority.length() + end);
    if (path.isEmpty() || path.equals("/")) {
      return false;
    }
    if (!DATABASE.matcher(path.substring(1)).matches()) {
      throw new IllegalArgumentException(name + " has an invalid database '" + path + "' in '"
          + RedisStore.maskUserInfo(uri) + "', expected a whole number from 0 after the host,"
          + " such as /0");
    }
    return true;
  }

  private static void checkOption(
      String option, String value, String name, String uri, boolean sentinel, boolean tls) {
    String masked = RedisStore.maskUserInfo(uri);
    String lower = option.toLowerCase(Locale.ROOT);
    if (!OPTIONS.contains(lower)) {
      // An unknown option without a value may be a password written alone, so it is not named,
      // nor is a name with characters that no option has, such as a cut-off password.
      throw new IllegalArgumentException(name + " has an unknown option"
          + (value == null ? " without a value" : shown(option)) + " in '" + masked
          + "', expected " + OPTION_NAMES);
    }
    if (lower.equals("db") && !option.equals("db")) {
      // Lettuce matches every other name in any case, but db= only in lower case.
      throw new IllegalArgumentException(name + " has the option '" + option + "' in '"
          + masked + "', which Lettuce reads only as db, in lower case, or as database");
    }
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(name + " has the option '" + option + "' without a"
          + " value in '" + masked + "', expected " + option + "=value");
    }
    if (lower.equals("sentinelmasterid") && !sentinel) {
      throw new IllegalArgumentException(name + " has the option '" + option + "' in '"
          + masked + "', which only a redis-sentinel:// or rediss-sentinel:// URI reads");
    }
    switch (lower) {
      case "timeout" -> checkTimeout(value, name, uri);
      case "database", "db" -> {
        if (!DATABASE.matcher(value).matches()) {
          throw new IllegalArgumentException(name + " has an invalid " + option + shown(value)
              + " in '" + masked + "', expected a whole number from 0, such as " + option
              + "=0");
        }
      }
      case "verifypeer" -> {
        if (!List.of("none", "ca", "full").contains(value.toLowerCase(Locale.ROOT))) {
          throw new IllegalArgumentException(name + " has an invalid verifyPeer" + shown(value)
              + " in '" + masked + "', expected none, ca or full");
        }
        if (!tls) {
          throw new IllegalArgumentException(name + " has the option '" + option + "' in '"
              + masked + "', which only a rediss:// or rediss-sentinel:// URI reads, because"
              + " only TLS checks a peer");
        }
      }
      default -> {
        // A client name, library name or version, or a Sentinel master's name: any text.
      }
    }
  }

  /**
   * Rejects port 0 on the server or on a sentinel of a parsed URI. Lettuce keeps 0 where it
   * was set in code, and replaces it with 6379 only when it parses a URI.
   */
  static void check(RedisURI uri, String name) {
    boolean zero = uri.getHost() != null && uri.getPort() == 0
        || uri.getSentinels().stream().anyMatch(sentinel -> sentinel.getPort() == 0);
    if (zero) {
      throw portZero(name, RedisStore.mask(uri));
    }
  }

  /**
   * Rejects an {@code @} that is not the one before the host: Lettuce would otherwise take part
   * of the password for the host, such as host {@code 127.0.0.1:7000} and port 6379 for
   * {@code redis://:p@ss@127.0.0.1:7000}, and fail with an unrelated DNS error. An {@code @} in
   * the path, or in the query before its first {@code =} or {@code &}, means that a {@code /}
   * or {@code ?} of the password ended the authority early. An option's value, such as
   * {@code clientName=a@b}, and the fragment, a Sentinel master's name, may contain one.
   */
  private static void checkUserInfo(String uri, String name, String authority, String rest) {
    if (authority.isEmpty() && !rest.startsWith("?") && !rest.startsWith("#")) {
      // A socket URI, such as redis-socket:///tmp/redis.sock, whose path may contain an '@'.
      return;
    }
    int end = indexOfAny(rest, "#");
    String afterAuthority = rest.substring(authority.length(), end < 0 ? rest.length() : end);
    int query = afterAuthority.indexOf('?');
    String path = query < 0 ? afterAuthority : afterAuthority.substring(0, query);
    String firstOptionName = "";
    if (query >= 0) {
      String options = afterAuthority.substring(query + 1);
      int nameEnd = indexOfAny(options, "=&");
      firstOptionName = nameEnd < 0 ? options : options.substring(0, nameEnd);
    }
    boolean twoInAuthority = authority.indexOf('@') != authority.lastIndexOf('@');
    // A '?' or '#' of a password ends the authority before its '@', leaving a "host" such as
    // ':secret', whose port is no number: Lettuce would print it in its errors.
    boolean cutShort = authority.indexOf('@') < 0 && !isHostList(authority)
        && rest.indexOf('@') >= 0;
    // Only a Sentinel URI's fragment, the master's name, may contain an '@'.
    // A Sentinel master's name may contain an '@' only encoded, as %40, so that an '@' after a
    // '#' always means a password whose '#' was not encoded.
    boolean inFragment = end >= 0 && rest.indexOf('@', end) >= 0;
    if (twoInAuthority || cutShort || inFragment || path.indexOf('@') >= 0
        || firstOptionName.indexOf('@') >= 0) {
      throw new IllegalArgumentException(name + " has a user name or password that is not"
          + " percent-encoded in '" + RedisStore.maskUserInfo(uri) + "'; write '@' as %40,"
          + " '/' as %2F, '?' as %3F and '#' as %23 there");
    }
  }

  /** Returns the authority at the start of the text after a URI's {@code ://}. */
  static String authorityOf(String rest) {
    int end = indexOfAny(rest, "/?#");
    return end < 0 ? rest : rest.substring(0, end);
  }

  /**
   * Returns whether an authority without user info is a list of hosts, each a name or an
   * address in brackets with an optional numeric port, such as {@code h1:7000,[::1]:7001}.
   */
  static boolean isHostList(String authority) {
    return HOST_LIST.matcher(authority).matches();
  }

  private static IllegalArgumentException portZero(String name, String masked) {
    return new IllegalArgumentException(name + " must not have port 0, got '" + masked
        + "'; Lettuce would connect to port 6379 instead, so give the server's port");
  }

  private static void checkTimeout(String value, String name, String uri) {
    if (!TIMEOUT.matcher(value).matches() || value.matches("0+[a-zA-Z]*")
        || timeoutOf(value).compareTo(MAX_TIMEOUT) > 0) {
      // The second test rejects 0 in any unit.
      throw new IllegalArgumentException(name + " has an invalid timeout" + shown(value) + " in '"
          + RedisStore.maskUserInfo(uri) + "', expected a positive whole number with an"
          + " optional unit ns, us, ms, s, m, h or d, up to 1d, such as timeout=10s; a number"
          + " without a unit is read as milliseconds");
    }
  }

  /**
   * Returns an option's invalid value quoted after a space, or nothing when it might hold more
   * than the value, such as a password after a '?' that should have been a '&'.
   */
  private static String shown(String value) {
    return SHOWN_VALUE.matcher(value).matches() ? " '" + value + "'" : "";
  }

  /**
   * Returns a timeout that matches {@link #TIMEOUT}, as Lettuce reads it, or one above
   * {@link #MAX_TIMEOUT} when it does not fit in a {@link Duration}.
   */
  private static Duration timeoutOf(String value) {
    String digits = value.replaceAll("[^0-9]", "");
    String unit = value.substring(digits.length()).toLowerCase(Locale.ROOT);
    long amount = Long.parseLong(digits);
    try {
      return switch (unit) {
        case "ns" -> Duration.ofNanos(amount);
        case "us" -> Duration.of(amount, ChronoUnit.MICROS);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        case "d" -> Duration.ofDays(amount);
        default -> Duration.ofMillis(amount);
      };
    } catch (ArithmeticException tooLong) {
      return MAX_TIMEOUT.plusNanos(1);
    }
  }

  /**
   * Rejects a port that is not a number from 1 to 65535. Lettuce would read the text from the
   * first colon of {@code 127.0.0.1:abc} or {@code 127.0.0.1:7000:6379} as part of the host,
   * connect to port 6379 and fail with a DNS error.
   */
  private static void checkPort(String host, String name, String uri, boolean sentinel) {
    String port;
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      if (close < 0 || close == host.length() - 1) {
        return;
      }
      port = host.charAt(close + 1) == ':' ? host.substring(close + 2) : host.substring(close + 1);
    } else {
      int colon = host.indexOf(':');
      if (colon < 0) {
        return;
      }
      // An unbracketed IPv6 address, such as ::1:6379, gets the advice below instead.
      boolean ipv6 = host.chars().filter(c -> c == ':').count() > 1;
      if (colon == 0 && !ipv6) {
        // What follows may be a password whose '@' is missing, so it is not shown.
        throw new IllegalArgumentException(name + " has no host before the ':' in '"
            + RedisStore.maskUserInfo(uri) + "', expected a host and a port, such as"
            + " redis://127.0.0.1:6379");
      }
      port = host.substring(colon + 1);
      String hostName = host.substring(0, colon);
      if (!sentinel && PORT.matcher(port).matches() && !HOST_NAME.matcher(hostName).matches()
          && hostName.indexOf(':') < 0) {
        // java.net.URI then reads no server-based authority, and Lettuce takes the whole
        // "host:port" for the host and connects to port 6379.
        throw new IllegalArgumentException(name + " has a host name that Java's URI parser"
            + " does not accept, '" + hostName + "', in '" + RedisStore.maskUserInfo(uri)
            + "', so Lettuce would connect to port 6379 instead of " + port + "; use letters,"
            + " digits, '-' and '.' only, such as an IP address for a name with '_'");
      }
    }
    if (!port.isEmpty() && port.chars().allMatch(c -> c == '0')) {
      throw portZero(name, RedisStore.maskUserInfo(uri));
    }
    if (!PORT.matcher(port).matches() || Integer.parseInt(port) > 65535) {
      // Such as ::1:6379 or fe80::1, whose first group is empty or up to four hex digits.
      boolean ipv6 = !host.startsWith("[") && port.indexOf(':') >= 0
          && host.substring(0, host.indexOf(':')).matches("[0-9A-Fa-f]{0,4}");
      String advice = ipv6 ? "; write an IPv6 address in brackets, such as [::1]:6379" : "";
      throw new IllegalArgumentException(name + " has an invalid port '" + port + "' in '"
          + RedisStore.maskUserInfo(uri) + "', expected a number from 1 to 65535" + advice);
    }
  }

  /** Returns the index of the first of {@code characters} in {@code text}, or -1. */
  static int indexOfAny(String text, String characters) {
    for (int i = 0; i < text.length(); i++) {
      if (characters.indexOf(text.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }
}
