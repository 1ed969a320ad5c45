package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterURIUtil;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The builder checks, URI masking and local share, which need no server. */
class RedisStoreOptionsTest {

  @Test
  void mask_uriWithPassword_hidesCredentials() {
    assertThat(RedisStore.mask(RedisURI.create("redis://user:secret@host:6390/2")))
        .isEqualTo("redis://***@host:6390/2");
    assertThat(RedisStore.mask(RedisURI.create("redis://host")))
        .isEqualTo("redis://host:6379/0");
  }

  @Test
  void mask_sentinelUriWithPassword_keepsSentinelsAndMasterName() {
    RedisURI uri = RedisURI.create("redis-sentinel://:secret@s1:26379,s2:26380/3#mymaster");

    assertThat(RedisStore.mask(uri)).isEqualTo("redis-sentinel://***@s1:26379,s2:26380/3#mymaster");
  }

  @Test
  void maskSeeds_clusterSeedsWithPassword_listsNodesWithoutCredentials() {
    String seeds = "redis://:secret@n1:7000,n2:7001,n3";

    List<RedisURI> parsed = RedisClusterURIUtil.toRedisURIs(URI.create(seeds));

    assertThat(RedisStore.maskSeeds(parsed))
        .isEqualTo("redis://***@n1:7000,n2:7001,n3:6379 (cluster)");
  }

  @Test
  void clusterSeeds_notAUri_throwsWithMaskedValue() {
    assertThatThrownBy(() -> RedisStore.builder().clusterSeeds("redis://:secret@a b:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("clusterSeeds must be a URI such as redis://host1:6379,host2:6379, got"
            + " 'redis://***@a b:1'");
  }

  @Test
  void sentinelPassword_withPlainUri_buildThrowsNamingUri() {
    RedisStore.Builder builder = RedisStore.builder()
        .uri("redis://:secret@127.0.0.1:6390")
        .sentinelPassword("sentinel-secret");

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("sentinelPassword (sentinel_password in sluice serve) needs a"
            + " redis-sentinel:// or rediss-sentinel:// uri, got 'redis://***@127.0.0.1:6390/0'");
  }

  @Test
  void sentinelPassword_withClusterSeeds_buildThrowsNamingSeeds() {
    RedisStore.Builder builder = RedisStore.builder()
        .clusterSeeds("redis://:secret@n1:7000,n2:7001")
        .sentinelPassword("sentinel-secret");

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("sentinelPassword (sentinel_password in sluice serve) needs a"
            + " redis-sentinel:// or rediss-sentinel:// uri, got redis://***@n1:7000,n2:7001"
            + " (cluster)");
  }

  @Test
  void uri_severalHosts_throwsAndNamesClusterSeeds() {
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://:secret@n1:7000,n2:7001"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("uri must name one server or use redis-sentinel://, got"
            + " 'redis://***@n1:7000,n2:7001'; for a Redis Cluster use clusterSeeds");
  }

  @Test
  void uri_malformedPassword_masksCredentials() {
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://user:p%zz@127.0.0.1:6379"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("uri must be a Redis URI such as redis://host:6379, got"
            + " 'redis://***@127.0.0.1:6379': Malformed escape pair:"
            + " redis://***@127.0.0.1:6379; write a '%' that does not start an escape, such as"
            + " one in a password, as %25");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis-sentinel://127.0.0.1:26379"))
        .hasMessageEndingWith("; name the master after #, such as"
            + " redis-sentinel://127.0.0.1:26379#mymaster");
  }

  @Test
  void uri_withoutScheme_throwsNamingSchemes() {
    for (String uri : List.of("7601", "127.0.0.1", "")) {
      assertThatThrownBy(() -> RedisStore.builder().uri(uri))
          .as(uri)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("uri must be a Redis URI such as redis://host:6379, got '" + uri + "': it"
              + " does not start with a scheme, so start it with redis://, rediss://,"
              + " redis-sentinel://, rediss-sentinel:// or redis-socket://");
    }
    assertThatThrownBy(() -> RedisStore.builder().clusterSeeds(List.of("127.0.0.1:7000")))
        .hasMessage("a cluster seed must be a Redis URI such as redis://host:6379, got"
            + " '127.0.0.1:7000': it does not start with a scheme, so start it with redis:// or"
            + " rediss://");
  }

  @Test
  void uri_portNotNumber_throwsNamingPort() {
    for (String port : List.of("abc", "7000:6379", "", "65536", "123456", "-1")) {
      String uri = "redis://:secret@127.0.0.1:" + port + "/0";
      assertThatThrownBy(() -> RedisStore.builder().uri(uri))
          .as(port)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("uri has an invalid port '" + port + "' in 'redis://***@127.0.0.1:" + port
              + "/0', expected a number from 1 to 65535");
    }
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://::1:6379"))
        .hasMessage("uri has an invalid port ':1:6379' in 'redis://***', expected a number from 1"
            + " to 65535; write an IPv6 address in brackets, such as [::1]:6379");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://:SECRET1"))
        .hasMessage("uri has no host before the ':' in 'redis://***', expected a host and a port,"
            + " such as redis://127.0.0.1:6379");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://my_redis:7000"))
        .hasMessage("uri has a host name that Java's URI parser does not accept, 'my_redis', in"
            + " 'redis://my_redis:7000', so Lettuce would connect to port 6379 instead of 7000;"
            + " use letters, digits, '-' and '.' only, such as an IP address for a name with"
            + " '_'");
    assertThatThrownBy(() -> RedisStore.builder().uri(
        "redis-sentinel://127.0.0.1:26379,127.0.0.1:x#mymaster"))
        .hasMessageStartingWith("uri has an invalid port 'x' in");
    assertThatThrownBy(() -> RedisStore.builder().clusterSeeds(
        List.of("redis://127.0.0.1:7000", "redis://[::1]:70a0")))
        .hasMessageStartingWith("a cluster seed has an invalid port '70a0' in");
    RedisStore.builder().uri("redis://127.0.0.1:65535");
    RedisStore.builder().uri("redis://[::1]:6379/0");
    RedisStore.builder().uri("redis://[::1]");
    RedisStore.builder().uri("redis://localhost");
    RedisStore.builder().uri("redis-sentinel://127.0.0.1:26379,localhost:26380#mymaster");
  }

  @Test
  void uri_malformedWithoutCredentials_keepsIndex() {
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.%zz:6379"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("uri must be a Redis URI such as redis://host:6379, got"
            + " 'redis://127.0.0.%zz:6379': Malformed escape pair at index 16:"
            + " redis://127.0.0.%zz:6379; write a '%' that does not start an escape, such as one"
            + " in a password, as %25");
  }

  @Test
  void maskUserInfo_text_hidesCredentialsEvenWhenInvalid() {
    assertThat(RedisStore.maskUserInfo("http://:secret@host:1")).isEqualTo("http://***@host:1");
    assertThat(RedisStore.maskUserInfo("redis://host:1/0")).isEqualTo("redis://host:1/0");
    assertThat(RedisStore.maskUserInfo("redis://:p@ss@host:1")).isEqualTo("redis://***@host:1");
    assertThat(RedisStore.maskUserInfo("redis://:pa/ss@host:1")).isEqualTo("redis://***@host:1");
    assertThat(RedisStore.maskUserInfo("redis://:se?cret@host:1")).isEqualTo("redis://***@host:1");
    assertThat(RedisStore.maskUserInfo("redis://:se#cret@host:1")).isEqualTo("redis://***@host:1");
    // A value with '@' may hold more than a client name, so messages do not show it.
    assertThat(RedisStore.maskUserInfo("redis://host:0?clientName=a@b"))
        .isEqualTo("redis://host:0?clientName=***");
    assertThat(RedisStore.maskUserInfo("redis-sentinel://h1,[::1]:2#my%40master"))
        .isEqualTo("redis-sentinel://h1,[::1]:2#my%40master");
    assertThat(RedisStore.maskUserInfo("redis-sentinel://:pw@h1:1,h2:2#my%40master"))
        .isEqualTo("redis-sentinel://***@h1:1,h2:2#my%40master");
    assertThat(RedisStore.maskUserInfo("redis-sentinel://user#pw@h:26379"))
        .isEqualTo("redis-sentinel://***@h:26379");
    assertThat(RedisStore.maskUserInfo("redis://user:1234/pw@127.0.0.1:6379"))
        .isEqualTo("redis://***@127.0.0.1:6379");
    assertThat(RedisStore.maskUserInfo("redis:///user:pw@h:6379")).isEqualTo("redis://***@h:6379");
    assertThat(RedisStore.maskUserInfo("redis://:pw")).isEqualTo("redis://***");
    assertThat(RedisStore.maskUserInfo("redis-sentinel://:m@st/er@h1,h2#my@master"))
        .isEqualTo("redis-sentinel://***@master");
  }

  @Test
  void uri_unencodedPassword_throwsSayingHowToEncode() {
    List<String> uris = List.of("redis://:p@ss@127.0.0.1:7000", "redis://u@s:p@127.0.0.1:7000/0",
        "redis://:pa/ss@127.0.0.1:7000", "redis://:pa?ss@127.0.0.1:7000",
        "redis-sentinel://:p@ss@127.0.0.1:26379#mymaster", "redis://:ss?b=c@127.0.0.1:7000",
        "redis://:ss#xyz@127.0.0.1:7000", "redis://:p@ss/w?rd#1@127.0.0.1:7000?timeout=1s");
    for (String uri : uris) {
      assertThatThrownBy(() -> RedisStore.builder().uri(uri))
          .as(uri)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("uri has a user name or password that is not percent-encoded"
              + " in '")
          .hasMessageEndingWith("'; write '@' as %40, '/' as %2F, '?' as %3F and '#' as %23"
              + " there")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("ss@"));
    }
    assertThatThrownBy(() -> RedisStore.builder().clusterSeeds(
        List.of("redis://:p@ss@127.0.0.1:7000")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a cluster seed has a user name or password that is not percent-encoded in"
            + " 'redis://***@127.0.0.1:7000'; write '@' as %40, '/' as %2F, '?' as %3F and '#'"
            + " as %23 there");
    RedisStore.builder().uri("redis://:p%40ss@127.0.0.1:7000");
    RedisStore.builder().uri("redis-sentinel://127.0.0.1:26379#master%40site");
    RedisStore.builder().uri("redis://127.0.0.1:7000?clientName=app@host");
    RedisStore.builder().uri("redis-socket:///tmp/r@dis.sock");
    RedisStore.builder().uri("redis-sentinel://:p%40ss@127.0.0.1:26379,127.0.0.2:1#my%40master");
    // An '@' after the '#' always ends a password whose '#' was not encoded.
    assertThatThrownBy(() -> RedisStore.builder().uri("redis-sentinel://127.0.0.1:26379#my@m"))
        .hasMessageStartingWith("uri has a user name or password that is not percent-encoded");
  }

  @Test
  void builder_nonPositiveTimeout_throws() {
    assertThatThrownBy(() -> RedisStore.builder().commandTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("commandTimeout must be from 1ms to 106751d, got PT0S");
    assertThatThrownBy(() -> RedisStore.builder().probeInterval(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("probeInterval must be positive, got PT-0.001S");
  }

  @Test
  void commandTimeout_outOfRange_throwsNamingRange() {
    assertThatThrownBy(() -> RedisStore.builder().commandTimeout(Duration.ofDays(200_000)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("commandTimeout must be from 1ms to 106751d, got PT4800000H");
    assertThatThrownBy(() -> RedisStore.builder().commandTimeout(Duration.ofNanos(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("commandTimeout must be from 1ms to 106751d, got PT0.000000001S");
    Duration belowMillisecond = Duration.ofMillis(1).minusNanos(1);
    assertThatThrownBy(() -> RedisStore.builder().commandTimeout(belowMillisecond))
        .isInstanceOf(IllegalArgumentException.class);
    RedisStore.builder().commandTimeout(Duration.ofMillis(1));
    RedisStore.builder().commandTimeout(Duration.ofDays(106_751));
  }

  @Test
  void uri_portZero_throwsNamingPort() {
    List<String> uris = List.of("redis://127.0.0.1:0", "redis://:secret@127.0.0.1:00/0",
        "redis://[::1]:0", "redis-sentinel://127.0.0.1:26379,127.0.0.1:0#mymaster");
    for (String uri : uris) {
      assertThatThrownBy(() -> RedisStore.builder().uri(uri))
          .as(uri)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("uri must not have port 0, got '")
          .hasMessageEndingWith("'; Lettuce would connect to port 6379 instead, so give the"
              + " server's port")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
    }
    assertThatThrownBy(() -> RedisStore.builder().clusterSeeds(
        List.of("redis://127.0.0.1:7000", "redis://127.0.0.1:0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("a cluster seed must not have port 0, got 'redis://127.0.0.1:0'");
    assertThatThrownBy(() -> RedisStore.builder().uri(RedisURI.Builder.redis("127.0.0.1", 0)
        .build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("uri must not have port 0, got 'redis://127.0.0.1:0/0'");
  }

  @Test
  void uri_invalidTimeout_throwsNamingValue() {
    for (String timeout : List.of("abc", "5.5s", "5 s", "5sec", "-5", "0", "0ms", "25h",
        "86400001", "999999999999999999s", "999999999999999999d")) {
      String uri = "redis://127.0.0.1:6379?timeout=" + timeout.replace(" ", "%20");
      assertThatThrownBy(() -> RedisStore.builder().uri(uri))
          .as(timeout)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("uri has an invalid timeout '")
          .hasMessageEndingWith("', expected a positive whole number with an optional unit ns,"
              + " us, ms, s, m, h or d, up to 1d, such as timeout=10s; a number without a unit is"
              + " read as milliseconds");
    }
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?timeout=abc"))
        .hasMessage("uri has an invalid timeout 'abc' in 'redis://127.0.0.1:6379?timeout=abc',"
            + " expected a positive whole number with an optional unit ns, us, ms, s, m, h or d,"
            + " up to 1d, such as timeout=10s; a number without a unit is read as milliseconds");
    // Lettuce reads the option's name in any case.
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?TIMEOUT=abc"))
        .hasMessageStartingWith("uri has an invalid timeout 'abc' in");
    for (String timeout : List.of("5", "5ms", "5S", "250us", "2m", "1d")) {
      RedisStore.builder().uri("redis://127.0.0.1:6379?timeout=" + timeout);
    }
  }

  @Test
  void uri_unknownOption_throwsListingOptions() {
    for (String option : List.of("timout=5s", "foo=bar", "database")) {
      String uri = "redis://:secret@127.0.0.1:6379?" + option;
      String name = option.replaceFirst("=.*", "");
      assertThatThrownBy(() -> RedisStore.builder().uri(uri))
          .as(option)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageNotContaining("secret")
          .hasMessageContaining("'" + name + "'");
    }
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?timout=5s"))
        .hasMessage("uri has an unknown option 'timout' in 'redis://127.0.0.1:6379?timout=***',"
            + " expected timeout, database (or db), clientName, libraryName, libraryVersion,"
            + " verifyPeer or sentinelMasterId");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?database"))
        .hasMessage("uri has the option 'database' without a value in"
            + " 'redis://127.0.0.1:6379?database', expected database=value");
    assertThatThrownBy(() -> RedisStore.builder().clusterSeeds(
        List.of("redis://127.0.0.1:7000?clientname=a;foo=1")))
        .hasMessageStartingWith("a cluster seed has an unknown option 'foo' in");
    RedisStore.builder().uri("rediss://127.0.0.1:6379?clientName=app&LIBRARYNAME=x;timeout=5s"
        + "&libraryVersion=1&verifyPeer=ca&db=2");
    RedisStore.builder().uri("redis://127.0.0.1:6379?time%6Fut=5s");
    RedisStore.builder().uri("redis://127.0.0.1:6379?timeout%3D5s");
    RedisStore.builder().uri("redis-sentinel://127.0.0.1:26379?sentinelMasterId=m");
    assertThatThrownBy(() -> RedisStore.builder().uri(
        "redis-sentinel://127.0.0.1:26379?timeout=1s#my?master"))
        .hasMessageStartingWith("uri has options after the master's name in"
            + " 'redis-sentinel://127.0.0.1:26379?timeout=1s#my***'");
  }

  @Test
  void uri_optionLettuceMisreads_throws() {
    // Lettuce decodes before it splits, so an encoded '&' ends the client name.
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?clientName=a%26b"))
        .hasMessageStartingWith("uri has an unknown option without a value in"
            + " 'redis://127.0.0.1:6379?clientName=***', expected timeout,");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?clientName="))
        .hasMessageStartingWith("uri has the option 'clientName' without a value in");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?DB=3"))
        .hasMessage("uri has the option 'DB' in 'redis://127.0.0.1:6379?DB=***', which Lettuce"
            + " reads only as db, in lower case, or as database");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379/0?database=1"))
        .hasMessage("uri gives the database more than once in"
            + " 'redis://127.0.0.1:6379/0?database=1', expected one of /N, database=N or db=N");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?db=1&database=2"))
        .hasMessageStartingWith("uri gives the database more than once in");
    assertThatThrownBy(() -> RedisStore.builder().uri(
        "redis://127.0.0.1:6379?sentinelMasterId=m"))
        .hasMessage("uri has the option 'sentinelMasterId' in"
            + " 'redis://127.0.0.1:6379?sentinelMasterId=m', which only a redis-sentinel:// or"
            + " rediss-sentinel:// URI reads");
  }

  @Test
  void uri_unknownOption_masksItsValue() {
    assertThatThrownBy(() -> RedisStore.builder().uri(
        "redis://127.0.0.1:6379?timeout=1s&password=hunter2;clientName=app"))
        .hasMessage("uri has an unknown option 'password' in"
            + " 'redis://127.0.0.1:6379?timeout=1s&password=***&***', expected"
            + " timeout, database (or db), clientName, libraryName, libraryVersion, verifyPeer"
            + " or sentinelMasterId");
    assertThatThrownBy(() -> RedisStore.builder().clusterSeeds(
        List.of("redis://127.0.0.1:7000?pass=hunter2#x")))
        .hasMessageNotContaining("hunter2");
    assertThat(RedisStore.maskUserInfo("redis://:pw@h:1/0?auth=s3cret#master?x=y"))
        .isEqualTo("redis://***@h:1/0?auth=***#***");
    assertThat(RedisStore.maskUserInfo("redis-sentinel://:pw@h:1/0?auth=s3cret#master?x=y"))
        .isEqualTo("redis-sentinel://***@h:1/0?auth=***#master***");
  }

  @Test
  void uri_invalidDatabase_throwsNamingValue() {
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?database=x3"))
        .hasMessage("uri has an invalid database 'x3' in 'redis://127.0.0.1:6379?database=x3',"
            + " expected a whole number from 0, such as database=0");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?Database=3x"))
        .hasMessageStartingWith("uri has an invalid Database '3x' in");
    for (String path : List.of("/abc", "/3x", "/-1", "/1/2", "/9999999999")) {
      String uri = "redis://:secret@127.0.0.1:6379" + path + "?timeout=1s";
      assertThatThrownBy(() -> RedisStore.builder().uri(uri))
          .as(path)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("uri has an invalid database '" + path + "' in 'redis://***@127.0.0.1:6379"
              + path + "?timeout=1s', expected a whole number from 0 after the host, such as"
              + " /0");
    }
    assertThatThrownBy(() -> RedisStore.builder().uri(
        "redis-sentinel://127.0.0.1:26379,127.0.0.1:26380/x#mymaster"))
        .hasMessageStartingWith("uri has an invalid database '/x' in");
    RedisStore.builder().uri("redis://127.0.0.1:6379/");
    RedisStore.builder().uri("redis://127.0.0.1:6379/15");
    RedisStore.builder().uri("redis://127.0.0.1:6379?DATABASE=3");
    RedisStore.builder().uri("redis-sentinel://127.0.0.1:26379/2#mymaster");
    RedisStore.builder().uri("redis-socket:///tmp/redis.sock?database=1");
  }

  @Test
  void uri_invalidVerifyPeer_throwsNamingModes() {
    assertThatThrownBy(() -> RedisStore.builder().uri("rediss://127.0.0.1:6379?verifyPeer=false"))
        .hasMessage("uri has an invalid verifyPeer 'false' in"
            + " 'rediss://127.0.0.1:6379?verifyPeer=false', expected none, ca or full");
    RedisStore.builder().uri("rediss://127.0.0.1:6379?verifypeer=NONE");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379?verifyPeer=full"))
        .hasMessage("uri has the option 'verifyPeer' in 'redis://127.0.0.1:6379?verifyPeer=full',"
            + " which only a rediss:// or rediss-sentinel:// URI reads, because only TLS checks a"
            + " peer");
  }

  @Test
  void uri_secretsOutsideUserInfo_masked() {
    List<String> uris = List.of("redis://127.0.0.1:6379?password=ab&SECRET1",
        "redis://127.0.0.1:6379?password=ab;SECRET1", "redis://127.0.0.1:6379?password=a#SECRET1",
        "redis://127.0.0.1:6379?password%3DSECRET1", "redis://127.0.0.1:6379?SECRET1",
        "redis://127.0.0.1:6379?clientName=x%26password=SECRET1",
        "redis://:SECRET1@127.0.0.1:1?clientName=a@b&password=SECRET1",
        "redis-sentinel://127.0.0.1:26379#mymaster?password=SECRET1",
        "redis://127.0.0.1:6379?timeout=1s#SECRET1", "redis://user:1234/SECRET1@127.0.0.1:6379",
        "redis-sentinel://u#x:SECRET1@h:26379?timeout=1s", "redis://:SECRET1@[::1",
        "redis:///user:SECRET1@h:6379", "redis://h:6379?DB=SECRET1",
        "redis://h:6379?timeout=1s?password=SECRET1", "redis://:SECRET1",
        "redis-sentinel://user#SECRET1@h:26379", "redis://:SECRET1@h:6379/0?clientName=a b",
        "redis://?SECRET1:pw@127.0.0.1:6379?foo=1",
        "redis://:pw@h:abc?clientName=a@b&password=SECRET1#m?x", "app:SECRET1@127.0.0.1:7902",
        ":SECRET1@127.0.0.1:7901", "redis:/:SECRET1@127.0.0.1:7901", "1redis://:SECRET1@h:1");
    for (String uri : uris) {
      assertThatThrownBy(() -> RedisStore.builder().uri(uri))
          .as(uri)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageNotContaining("SECRET1")
          .satisfies(e -> assertThat(e.getCause() == null ? "" : e.getCause().getMessage())
              .doesNotContain("SECRET1"));
      assertThatThrownBy(() -> RedisStore.builder().clusterSeeds(List.of(uri)))
          .as(uri)
          .hasMessageNotContaining("SECRET1");
    }
    assertThatThrownBy(() -> RedisStore.builder().clusterSeeds(
        List.of("redis://:SECRET1@127.0.0.1:7930", ":SECRET1@127.0.0.1:7931")))
        .hasMessage("a cluster seed must be a Redis URI such as redis://host:6379, got"
            + " '***@127.0.0.1:7931': it does not start with a scheme, so start it with redis://"
            + " or rediss://");
    assertThatThrownBy(() -> RedisStore.builder().uri(
        "redis-sentinel://127.0.0.1:26379#mymaster/3"))
        .hasMessageStartingWith("uri has options after the master's name in");
    assertThatThrownBy(() -> RedisStore.builder().clusterSeeds("redis://h1:1,h2:2#SECRET1"))
        .hasMessage("clusterSeeds has a fragment (#...) in 'redis://h1:1,h2:2#***', which Lettuce"
            + " does not read; remove it");
  }

  @Test
  void uri_fragmentOrUserInfoLettuceMisreads_throws() {
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://127.0.0.1:6379#x"))
        .hasMessage("uri has a fragment (#...) in 'redis://127.0.0.1:6379#***', which only a"
            + " Sentinel URI reads, as the master's name; remove it");
    assertThatThrownBy(() -> RedisStore.builder().uri(
        "redis-sentinel://127.0.0.1:26379#mymaster?timeout=5s"))
        .hasMessage("uri has options after the master's name in"
            + " 'redis-sentinel://127.0.0.1:26379#mymaster***', which Lettuce would read as part"
            + " of the name; write them before the #, such as"
            + " redis-sentinel://host:26379?timeout=5s#mymaster");
    assertThatThrownBy(() -> RedisStore.builder().uri(
        "redis-sentinel://127.0.0.1:26379?sentinelMasterId=other#mymaster"))
        .hasMessageStartingWith("uri names the master both after # and with sentinelMasterId");
    assertThatThrownBy(() -> RedisStore.builder().uri(
        "rediss://127.0.0.1:6379?verifyPeer=full&verifyPeer=none"))
        .hasMessageStartingWith("uri gives the option 'verifyPeer' more than once in");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://alice:@127.0.0.1:6379"))
        .hasMessage("uri has a user name without a password in 'redis://***@127.0.0.1:6379';"
            + " Lettuce would send no credentials at all, so write user:password@");
    assertThatThrownBy(() -> RedisStore.builder().uri("redis://us%3Aer:pw@127.0.0.1:6379"))
        .hasMessageStartingWith("uri has a user name with an encoded ':' in"
            + " 'redis://***@127.0.0.1:6379'");
    RedisStore.builder().uri("rediss-sentinel://127.0.0.1:26379#my%40master");
    RedisStore.builder().uri("redis-socket://:secret@/tmp/redis.sock");
    RedisStore.builder().uri("redis://:p%40ss@127.0.0.1:6379/0?timeout=1s");
    RedisStore.builder().uri("redis://alice:p%3Ass@127.0.0.1:6379");
  }

  @Test
  void builder_localShareZero_throws() {
    assertThatThrownBy(() -> RedisStore.builder().localShare(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("localShare must be at least 1, got 0");
  }

  @Test
  void builder_failureThresholdBelowOne_throws() {
    assertThatThrownBy(() -> RedisStore.builder().failureThreshold(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failureThreshold must be at least 1, got 0");
    assertThatThrownBy(() -> RedisStore.builder().failureThreshold(-3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failureThreshold must be at least 1, got -3");
  }

  @Test
  void builder_failureDurationOutOfRange_throws() {
    assertThatThrownBy(() -> RedisStore.builder().failureDuration(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failureDuration must be from 0 to 1 day, got PT-0.001S");
    assertThatThrownBy(() -> RedisStore.builder().failureDuration(Duration.ofHours(25)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failureDuration must be from 0 to 1 day, got PT25H");
  }

  @Test
  void localShare_threeInstances_dividesLimitAndBurstRoundingUp() {
    Policy policy = Policy.of("api",
        Limit.of(Algorithm.TOKEN_BUCKET, 100, Duration.ofSeconds(1)).withBurst(50),
        Limit.of(Algorithm.FIXED_WINDOW, 2, Duration.ofMinutes(1)));

    Policy share = LocalShare.of(policy, 3);

    // ceil(100 / 3) = 34, ceil(50 / 3) = 17, ceil(2 / 3) = 1; names stay the same.
    assertThat(share.limits().get(0).limit()).isEqualTo(34);
    assertThat(share.limits().get(0).burst()).isEqualTo(17);
    assertThat(share.limits().get(0).name()).isEqualTo("100/1s");
    assertThat(share.limits().get(1).limit()).isEqualTo(1);
    assertThat(share.limits().get(1).burst()).isEqualTo(1);
  }

  @Test
  void localShareOf_unrecoverableBurst_throws() {
    // 3 per 3532d with burst 31 recovers in 36,497d. Its third, 1 with burst 11, takes 38,852d.
    Policy policy = Policy.of("quota",
        Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofDays(3532)).withBurst(31));

    assertThatThrownBy(() -> RedisStore.localShareOf(policy, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit '3/3532d' of policy 'quota' cannot be divided among 3 instances:"
            + " burst 11 at 1 per 3532d takes longer than 36500d to recover; lower the burst or"
            + " raise the limit, or lower the number of instances")
        .cause().hasMessageStartingWith("burst 11 at 1 per 3532d");
    assertThat(RedisStore.localShareOf(policy, 1)).isEqualTo(policy);
  }

  @Test
  void localShareOf_noInstances_throws() {
    Policy policy = Policy.of("api", Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofSeconds(1)));

    assertThatThrownBy(() -> RedisStore.localShareOf(policy, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("instances must be at least 1, got 0");
  }
}
