package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.redis.FailureMode;
import dev.sluice.redis.TestCertificates;
import dev.sluice.redis.TimeMode;
import dev.sluice.store.AtCapacity;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {

  /** One file per failure mode under bad-configs/, with the line and problem expected. */
  static Stream<Arguments> badConfigs() {
    return Stream.of(
        Arguments.of("yaml-syntax.yaml", 6,
            "invalid YAML: while parsing a block collection, expected <block end>, but found"
                + " '<block mapping start>'"),
        Arguments.of("unknown-field.yaml", 7,
            "unknown field 'brust' in limit, expected one of name, algorithm, limit, period,"
                + " burst, mode"),
        Arguments.of("unknown-top-field.yaml", 1,
            "unknown field 'polices' in the config, expected one of store, policies"),
        Arguments.of("not-a-mapping.yaml", 1, "the config must be a mapping, got a list"),
        Arguments.of("wrong-type-limit.yaml", 5, "limit must be a whole number, got 'ten'"),
        Arguments.of("quoted-limit.yaml", 5,
            "limit must be a whole number, got the quoted text '10'"),
        Arguments.of("fractional-limit.yaml", 5, "limit must be a whole number, got '2.5'"),
        Arguments.of("octal-limit.yaml", 5, "limit must be a whole number, got '010'"),
        Arguments.of("float-tagged-limit.yaml", 6,
            "limit must be a whole number, got '5' tagged !!float"),
        // Line breaks, escape sequences and backslashes in values come out escaped, on one line.
        Arguments.of("algorithm-control-characters.yaml", 4,
            "unknown algorithm 'gcra\\x1b[31mX\\x0aY', expected one of fixed_window,"
                + " sliding_log, sliding_window, token_bucket, leaky_bucket, gcra"),
        Arguments.of("policy-name-line-break.yaml", 2, "policy name must be 1 to 64 letters,"
            + " digits, '.', '_' or '-', got 'a\\x0ab\\u{2028}c'"),
        Arguments.of("block-scalar-limit.yaml", 6,
            "limit must be a whole number, got the quoted text '5\\x0a'"),
        Arguments.of("limit-name-control-character.yaml", 7,
            "limit name must be printable ASCII without spaces, quotes, backslashes, commas or"
                + " semicolons, got 'ok\\x0d\\\\forged'"),
        Arguments.of("two-documents.yaml", 7,
            "invalid YAML: expected a single document in the stream, but found another document"),
        Arguments.of("empty-value.yaml", 5, "limit must be a whole number, got an empty value"),
        Arguments.of("limits-not-a-list.yaml", 4, "limits must be a list, got a mapping"),
        Arguments.of("duplicate-key.yaml", 7,
            "duplicate key 'limit' in limit; each key may appear once"),
        Arguments.of("duplicate-policy.yaml", 7,
            "duplicate key 'api' in policies; each key may appear once"),
        Arguments.of("missing-period.yaml", 4, "limit is missing the required field 'period'"),
        Arguments.of("missing-policies.yaml", 1,
            "the config is missing the required field 'policies'"),
        Arguments.of("missing-limits.yaml", 2,
            "policy 'api' is missing the required field 'limits'"),
        Arguments.of("empty.yaml", 0, "the config is empty; it must define at least policies"),
        Arguments.of("no-policies.yaml", 1, "policies must define at least one policy"),
        Arguments.of("empty-limits.yaml", 3,
            "limits of policy 'api' must contain at least one limit"),
        Arguments.of("bad-duration.yaml", 6,
            "period must be a whole number followed by ms, s, m, h or d (such as 500ms or 60s),"
                + " got '1 second'"),
        Arguments.of("period-too-short.yaml", 6, "period must be at least 1ms, got 0s"),
        Arguments.of("period-too-long.yaml", 6, "period must be at most 3650d, got 3651d"),
        Arguments.of("period-overflow.yaml", 6,
            "period must be at most 3650d, got 9999999999999999999d"),
        Arguments.of("period-leading-zero.yaml", 6,
            "period must be written without leading zeros, such as 1s for 01s, got '01s'"),
        Arguments.of("period-with-space.yaml", 6,
            "period must be a whole number followed by ms, s, m, h or d (such as 500ms or 60s),"
                + " got ' 1s'"),
        Arguments.of("limit-float-too-large.yaml", 5,
            "limit must be at most 2305843009213693951, got 1e30"),
        Arguments.of("limit-separator.yaml", 5,
            "limit must be a whole number, got '1_000'; write it without '_' separators"),
        Arguments.of("bad-algorithm.yaml", 4,
            "unknown algorithm 'token-bucket', expected one of fixed_window, sliding_log,"
                + " sliding_window, token_bucket, leaky_bucket, gcra"),
        Arguments.of("limit-zero.yaml", 8, "limit must be at least 1, got 0"),
        // 2^61 - 1 = 2305843009213693951, the core's largest limit.
        Arguments.of("limit-too-large.yaml", 5,
            "limit must be at most 2305843009213693951, got 99999999999999999999"),
        Arguments.of("burst-zero.yaml", 7, "burst must be at least 1, got 0"),
        Arguments.of("burst-on-window.yaml", 7,
            "burst applies only to token_bucket, leaky_bucket and gcra, but the algorithm is"
                + " fixed_window"),
        // A window algorithm's burst equal to its limit changes nothing, but is rejected too.
        Arguments.of("burst-equal-limit-on-window.yaml", 7,
            "burst applies only to token_bucket, leaky_bucket and gcra, but the algorithm is"
                + " fixed_window"),
        Arguments.of("burst-on-sliding-window.yaml", 7,
            "burst applies only to token_bucket, leaky_bucket and gcra, but the algorithm is"
                + " sliding_window"),
        Arguments.of("burst-on-sliding-log.yaml", 7,
            "burst applies only to token_bucket, leaky_bucket and gcra, but the algorithm is"
                + " sliding_log"),
        // 11 units at 1 per 3650 days take 40150 days to recover, above the 36500-day bound.
        Arguments.of("burst-unrecoverable.yaml", 7,
            "burst 11 at 1 per 3650d takes longer than 36500d to recover; lower the burst or"
                + " raise the limit"),
        Arguments.of("sliding-log-too-large.yaml", 5,
            "limit of a sliding_log must be at most 100000, got 100001; use sliding_window for"
                + " large limits"),
        Arguments.of("mode-on-token-bucket.yaml", 7,
            "mode applies only to leaky_bucket, but the algorithm is token_bucket"),
        Arguments.of("bad-mode.yaml", 7, "unknown mode 'smooth', expected police or shape"),
        Arguments.of("duplicate-limit-name.yaml", 8,
            "policy 'api' has two limits named 'fast'; give each limit its own name"),
        Arguments.of("bad-limit-name.yaml", 4,
            "limit name must be printable ASCII without spaces, quotes, backslashes, commas or"
                + " semicolons, got 'per second'"),
        Arguments.of("limit-name-max-keys.yaml", 4, "limit name 'max_keys' is reserved for"
            + " denials at the memory store's key cap; choose another name"),
        Arguments.of("bad-policy-name.yaml", 7,
            "policy name must be 1 to 64 letters, digits, '.', '_' or '-', got 'my api'"),
        Arguments.of("bad-store-type.yaml", 2,
            "unknown store type 'mongo', expected memory or redis"),
        Arguments.of("redis-missing-uri.yaml", 2,
            "a store of type redis is missing the required field 'uri' or 'cluster'"),
        Arguments.of("redis-uri-and-cluster.yaml", 4,
            "a store of type redis takes either uri or cluster, not both; use uri for one"
                + " server or Sentinel, cluster for the seeds of a Redis Cluster"),
        Arguments.of("cluster-empty.yaml", 3, "cluster must list at least one seed URI, such"
            + " as [redis://host1:7000, redis://host2:7000]"),
        Arguments.of("cluster-not-a-list.yaml", 3,
            "cluster must be a list, got 'redis://127.0.0.1:7000,127.0.0.1:7001'"),
        Arguments.of("cluster-seed-two-nodes.yaml", 5, "a cluster seed must name one node,"
            + " such as redis://host:7000, got 'redis://127.0.0.1:7001,127.0.0.1:7002'; list"
            + " each node as a seed of its own"),
        Arguments.of("cluster-seed-database.yaml", 4,
            "a Redis Cluster has only database 0, got 'redis://127.0.0.1:7000/2'"),
        Arguments.of("cluster-seeds-differ.yaml", 5, "cluster seeds may differ only in host"
            + " and port, but 'redis://***@127.0.0.1:7001' differs from the first seed"
            + " 'redis://***@127.0.0.1:7000' in scheme, credentials or options; every node is"
            + " reached with the first seed's credentials and options"),
        Arguments.of("cluster-seed-sentinel.yaml", 4, "a cluster seed must start with"
            + " redis:// or rediss://, got 'redis-sentinel://127.0.0.1:26379/0#mymaster'"),
        Arguments.of("bad-cluster-seed.yaml", 4, "a cluster seed must be a Redis URI such as"
            + " redis://host:7000, got 'http://127.0.0.1:7000': Scheme http not supported"),
        Arguments.of("bad-policy-on-failure.yaml", 6,
            "unknown on_failure 'closed', expected deny, allow or local"),
        Arguments.of("policy-on-failure-on-memory.yaml", 10, "on_failure of policy 'login'"
            + " applies only to the redis store, but the store type is memory"),
        Arguments.of("sentinel-password-without-sentinel.yaml", 4, "sentinel_password needs a"
            + " redis-sentinel:// or rediss-sentinel:// uri, got uri"
            + " 'redis://***@127.0.0.1:6379'"),
        Arguments.of("redis-uri-several-hosts.yaml", 3, "uri must name one server or use"
            + " redis-sentinel://, got 'redis://***@127.0.0.1:7000,127.0.0.1:7001'; for a Redis"
            + " Cluster list the seeds under cluster: instead"),
        Arguments.of("bad-redis-uri.yaml", 3, "uri must be a Redis URI such as"
            + " redis://host:6379, got 'http://***@127.0.0.1:6379': Scheme http not supported"),
        Arguments.of("tls-ca-file-missing.yaml", 4, "tls_ca_file must name an existing file,"
            + " got 'no-such-ca.pem'; a relative path is resolved against the directory of the"
            + " config file"),
        Arguments.of("tls-ca-file-not-pem.yaml", 5, "tls_ca_file must be a PEM file of CA"
            + " certificates, got 'tls-ca-file-not-pem.yaml' without a BEGIN CERTIFICATE line"),
        Arguments.of("bad-on-failure.yaml", 4,
            "unknown on_failure 'open', expected deny, allow or local"),
        Arguments.of("bad-time-mode.yaml", 4, "unknown time 'local', expected server or client"),
        Arguments.of("local-share-zero.yaml", 5, "local_share must be at least 1, got 0"),
        Arguments.of("command-timeout-zero.yaml", 4,
            "command_timeout must be at least 1ms, got 0ms"),
        // 106751 days is the largest whole number of days below 2^63 - 1 ns (106751.99 days).
        Arguments.of("command-timeout-too-long.yaml", 4,
            "command_timeout must be at most 106751d, got 106752d"),
        Arguments.of("bad-key-prefix.yaml", 4,
            "key_prefix must be printable ASCII without braces or spaces, got 'a{b'"),
        Arguments.of("max-keys-on-redis.yaml", 4,
            "max_keys applies only to the memory store, but the store type is redis"),
        Arguments.of("redis-field-on-memory.yaml", 3,
            "on_failure applies only to the redis store, but the store type is memory"),
        Arguments.of("bad-at-capacity.yaml", 2,
            "unknown at_capacity 'drop_oldest', expected evict_soonest_reset or deny_new_keys"),
        Arguments.of("max-keys-zero.yaml", 2, "max_keys must be at least 1, got 0"),
        // 3 per 3532d with burst 31 recovers in 36,497d. Its third, 1 with burst 11, takes 38,852d.
        Arguments.of("local-share-unrecoverable.yaml", 8, "policy 'quota' falls back to local"
            + " limits divided by local_share 3, and its share is invalid: burst 11 at 1 per"
            + " 3532d takes longer than 36500d to recover; lower the burst or raise the limit,"
            + " or lower local_share"),
        // "policies:\n  api:\n    limits:\n      # caf" is 10 + 7 + 12 + 11 = 40 bytes.
        Arguments.of("not-utf8.yaml", 4,
            "not valid UTF-8 at byte offset 40; save the file as UTF-8"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badConfigs")
  void load_badConfig_namesFileLineAndProblem(String fileName, int line, String problem)
      throws URISyntaxException {
    Path file = badConfig(fileName);
    String where = line > 0 ? file + ":" + line + ": " : file + ": ";

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(where + problem)
        .satisfies(e -> assertThat(((ConfigException) e).line()).isEqualTo(line))
        .satisfies(e -> assertThat(((ConfigException) e).problem()).isEqualTo(problem));
  }

  @Test
  void parse_redisStore_readsEverySetting() {
    String yaml = """
        store:
          type: redis
          uri: redis://:secret@127.0.0.1:6390/2
          key_prefix: shared
          command_timeout: 80ms
          on_failure: local
          local_share: 3
          time: client
        policies:
          api:
            limits:
              - algorithm: token_bucket
                limit: 10
                period: 1s
        """;

    SluiceConfig config = ConfigLoader.parse(yaml, "redis.yaml");

    assertThat(config.store().type()).isEqualTo("redis");
    assertThat(config.store().redis()).contains(new RedisConfig("redis://:secret@127.0.0.1:6390/2",
        "shared", Duration.ofMillis(80), FailureMode.LOCAL, 3, TimeMode.CLIENT));
  }

  @Test
  void parse_redisStoreWithUriOnly_usesDefaults() {
    String yaml = """
        store:
          type: redis
          uri: redis://127.0.0.1:6379
        policies:
          api:
            limits:
              - algorithm: token_bucket
                limit: 10
                period: 1s
        """;

    SluiceConfig config = ConfigLoader.parse(yaml, "redis.yaml");

    assertThat(config.store().redis()).contains(new RedisConfig("redis://127.0.0.1:6379",
        "sluice", Duration.ofMillis(20), FailureMode.ALLOW, 1, TimeMode.SERVER));
  }

  @Test
  void parse_sentinelPassword_keptForSentinelUri() {
    String yaml = """
        store:
          type: redis
          uri: redis-sentinel://:data-secret@127.0.0.1:26379/0#mymaster
          sentinel_password: sentinel-secret
        policies:
          api:
            limits:
              - algorithm: token_bucket
                limit: 10
                period: 1s
        """;

    SluiceConfig config = ConfigLoader.parse(yaml, "sentinel.yaml");

    assertThat(config.store().redis()).contains(new RedisConfig(
        Optional.of("redis-sentinel://:data-secret@127.0.0.1:26379/0#mymaster"), List.of(),
        "sluice", Duration.ofMillis(20), FailureMode.ALLOW, 1, TimeMode.SERVER,
        Optional.empty(), Optional.of("sentinel-secret"), false));
  }

  @Test
  void parse_uriWithPortZero_namesLine() {
    String yaml = """
        store:
          type: redis
          uri: redis://127.0.0.1:0
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;

    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "zero.yaml"))
        .hasMessageStartingWith("zero.yaml:3: uri must not have port 0, got"
            + " 'redis://127.0.0.1:0'");
  }

  @Test
  void parse_uriWithUnknownOption_namesLine() {
    String yaml = """
        store:
          type: redis
          uri: redis://127.0.0.1:7000?timout=5s
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;

    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "typo.yaml"))
        .hasMessageStartingWith("typo.yaml:3: uri has an unknown option 'timout' in"
            + " 'redis://127.0.0.1:7000?timout=***', expected timeout, database (or db),");
  }

  @Test
  void parse_uriWithBadPortOrNoScheme_namesLine() {
    String yaml = """
        store:
          type: redis
          uri: %s
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;

    assertThatThrownBy(() -> ConfigLoader.parse(yaml.formatted("redis://127.0.0.1:abc"), "a.yaml"))
        .hasMessage("a.yaml:3: uri has an invalid port 'abc' in 'redis://127.0.0.1:abc',"
            + " expected a number from 1 to 65535");
    assertThatThrownBy(() -> ConfigLoader.parse(yaml.formatted("'7601'"), "b.yaml"))
        .hasMessage("b.yaml:3: uri must be a Redis URI such as redis://host:6379, got '7601': it"
            + " does not start with a scheme, so start it with redis://, rediss://,"
            + " redis-sentinel://, rediss-sentinel:// or redis-socket://");
  }

  @Test
  void parse_uriWithUnencodedPassword_namesLine() {
    String yaml = """
        store:
          type: redis
          uri: "redis://:p@ss/wd@127.0.0.1:7000"
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;

    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "secret.yaml"))
        .hasMessageStartingWith("secret.yaml:3: uri has a user name or password that is not"
            + " percent-encoded in 'redis://***@127.0.0.1:7000'")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("ss/wd"));
  }

  @Test
  void parse_denyCache_readsTrueAndFalseOnly() {
    String yaml = """
        store:
          type: redis
          uri: redis://127.0.0.1:6379
          deny_cache: %s
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;

    SluiceConfig on = ConfigLoader.parse(yaml.formatted("true"), "on.yaml");
    SluiceConfig off = ConfigLoader.parse(yaml.formatted("false"), "off.yaml");

    assertThat(on.store().redis().orElseThrow().denyCache()).isTrue();
    assertThat(off.store().redis().orElseThrow().denyCache()).isFalse();
    assertThatThrownBy(() -> ConfigLoader.parse(yaml.formatted("yes"), "yes.yaml"))
        .hasMessage("yes.yaml:4: deny_cache must be true or false, got 'yes'");
    assertThatThrownBy(() -> ConfigLoader.parse(yaml.formatted("'true'"), "quoted.yaml"))
        .hasMessage("quoted.yaml:4: deny_cache must be true or false, got the quoted text"
            + " 'true'");
    assertThatThrownBy(() -> ConfigLoader.parse(yaml.formatted("!!str true"), "tagged.yaml"))
        .hasMessage("tagged.yaml:4: deny_cache must be true or false, got 'true' tagged !!str");
  }

  @Test
  void parse_redisCluster_readsSeedsAndSettings() {
    String yaml = """
        store:
          type: redis
          cluster:
            - redis://:secret@127.0.0.1:7000
            - redis://:secret@127.0.0.1:7001
          on_failure: deny
        policies:
          api:
            limits:
              - algorithm: token_bucket
                limit: 10
                period: 1s
        """;

    SluiceConfig config = ConfigLoader.parse(yaml, "cluster.yaml");

    assertThat(config.store().redis()).contains(new RedisConfig(Optional.empty(),
        List.of("redis://:secret@127.0.0.1:7000", "redis://:secret@127.0.0.1:7001"), "sluice",
        Duration.ofMillis(20), FailureMode.DENY, 1, TimeMode.SERVER));
  }

  @Test
  void load_tlsCaFile_resolvesAgainstConfigDirectory(@TempDir Path dir) throws Exception {
    Path ca = TestCertificates.create(dir).caCertificate();
    Path config = Files.writeString(dir.resolve("config.yaml"), """
        store:
          type: redis
          uri: rediss://127.0.0.1:6379
          tls_ca_file: %s
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """.formatted(ca.getFileName()));

    SluiceConfig loaded = ConfigLoader.load(config);

    assertThat(loaded.store().redis().orElseThrow().tlsCaFile()).contains(ca);
  }

  @Test
  void parse_tlsCaFileOnMemoryStore_namesLine() {
    String yaml = """
        store:
          tls_ca_file: ca.pem
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;

    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "memory.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("memory.yaml:2: tls_ca_file applies only to the redis store, but the store"
            + " type is memory");
  }

  @Test
  void parse_ipv6ClusterSeeds_readsThem() {
    String yaml = """
        store:
          type: redis
          cluster:
            - redis://:secret@[::1]:7000
            - 'redis://:secret@[2001:db8::1]:7001'
        policies:
          api:
            limits: [{algorithm: token_bucket, limit: 10, period: 1s}]
        """;

    SluiceConfig config = ConfigLoader.parse(yaml, "cluster.yaml");

    assertThat(config.store().redis()).map(RedisConfig::cluster).contains(
        List.of("redis://:secret@[::1]:7000", "redis://:secret@[2001:db8::1]:7001"));
  }

  @Test
  void parse_policyOnFailure_keepsModes() {
    String yaml = """
        store:
          type: redis
          uri: redis://127.0.0.1:6379
          on_failure: local
        policies:
          login:
            on_failure: deny
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
          api:
            limits: [{algorithm: gcra, limit: 50, period: 1s}]
          search:
            limits: [{algorithm: gcra, limit: 10, period: 1s}]
            on_failure: allow
        """;

    SluiceConfig config = ConfigLoader.parse(yaml, "modes.yaml");

    assertThat(config.failureModes())
        .containsExactly(entry("login", FailureMode.DENY), entry("search", FailureMode.ALLOW));
    assertThat(config.policies().keySet()).containsExactly("login", "api", "search");
  }

  @Test
  void parse_policyModeWithRedisOverride_isAccepted() {
    String yaml = """
        policies:
          login:
            on_failure: deny
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;
    RedisConfig redis = RedisConfig.defaults("redis://127.0.0.1:6379");

    SluiceConfig config =
        ConfigLoader.parse(yaml, "memory.yaml", fromFile -> StoreConfig.redis(redis));

    assertThat(config.store()).isEqualTo(StoreConfig.redis(redis));
    assertThat(config.failureModes()).containsExactly(entry("login", FailureMode.DENY));
  }

  @Test
  void parse_policyModeWithMemoryOverride_namesLine() {
    String yaml = """
        store:
          type: redis
          uri: redis://127.0.0.1:6379
        policies:
          login:
            on_failure: deny
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;

    assertThatThrownBy(
        () -> ConfigLoader.parse(yaml, "redis.yaml", fromFile -> StoreConfig.DEFAULT))
        .isInstanceOf(ConfigException.class)
        .hasMessage("redis.yaml:6: on_failure of policy 'login' applies only to the redis"
            + " store, but the store type is memory");
  }

  @Test
  void parse_storeWithoutUri_takesOverrideServer() {
    String yaml = """
        store: {type: redis, key_prefix: other, on_failure: deny}
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;

    SluiceConfig config = ConfigLoader.parse(yaml, "fleet.yaml",
        serverOverride(RedisConfig.defaults("redis://127.0.0.1:7603")));

    assertThat(config.store().redis()).contains(new RedisConfig("redis://127.0.0.1:7603",
        "other", Duration.ofMillis(20), FailureMode.DENY, 1, TimeMode.SERVER));
  }

  @Test
  void parse_storeWithoutCluster_takesOverrideSeeds() {
    String yaml = """
        store: {type: redis, key_prefix: other}
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;
    List<String> seeds = List.of("redis://127.0.0.1:7000", "redis://127.0.0.1:7001");

    SluiceConfig config =
        ConfigLoader.parse(yaml, "fleet.yaml", serverOverride(RedisConfig.clusterDefaults(seeds)));

    RedisConfig redis = config.store().redis().orElseThrow();
    assertThat(redis.uri()).isEmpty();
    assertThat(redis.cluster()).isEqualTo(seeds);
    assertThat(redis.keyPrefix()).isEqualTo("other");
  }

  @Test
  void parse_storeWithoutAnyServer_namesLine() {
    String yaml = """
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        store: {type: redis, key_prefix: other}
        """;
    RedisConfig redis = RedisConfig.defaults("redis://127.0.0.1:6379");

    // This override replaces the store but sets no server, so the file must name one.
    assertThatThrownBy(
        () -> ConfigLoader.parse(yaml, "fleet.yaml", fromFile -> StoreConfig.redis(redis)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("fleet.yaml:4: a store of type redis is missing the required field 'uri'"
            + " or 'cluster'");
  }

  @Test
  void parse_sentinelPasswordWithoutUri_checksOverrideUri() {
    String yaml = """
        store:
          type: redis
          sentinel_password: sentinel-secret
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;
    String sentinel = "redis-sentinel://127.0.0.1:26379/0#mymaster";

    SluiceConfig config = ConfigLoader.parse(yaml, "sentinel.yaml",
        serverOverride(RedisConfig.defaults(sentinel)));

    assertThat(config.store().redis().orElseThrow().sentinelPassword())
        .contains("sentinel-secret");
    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "plain.yaml",
        serverOverride(RedisConfig.defaults("redis://127.0.0.1:6379"))))
        .hasMessage("plain.yaml:3: sentinel_password needs a redis-sentinel:// or"
            + " rediss-sentinel:// uri, got uri 'redis://127.0.0.1:6379'");
  }

  /**
   * A config valid at its own local_share 1 whose limit {@code 2/2920d} with burst 25 is
   * invalid divided by 2: at 1, its burst recovers in 25 x 2920d / 2 = 36500d, the maximum, but
   * the share of 2 is 1 per 2920d with burst 13, which recovers in 13 x 2920d = 37960d.
   */
  private static final String LOCAL_SHARE_ONE = """
      store:
        type: redis
        uri: redis://127.0.0.1:6379
        on_failure: %s
        local_share: 1
      policies:
        api:
          limits:
            - {algorithm: gcra, limit: 5, period: 1m}
        edge:
          limits:
            - {algorithm: fixed_window, limit: 4, period: 1s}
            - {algorithm: token_bucket, limit: 2, period: 2920d, burst: 25}
      """;

  @Test
  void loadForReload_runningShareTooHigh_namesLimit(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("share.yaml");
    Files.writeString(file, LOCAL_SHARE_ONE.formatted("local"));
    StoreConfig running = runningRedis(FailureMode.LOCAL, 2);

    assertThatThrownBy(() -> ConfigLoader.loadForReload(file, StoreOverride.NONE, running))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ":13: limit '2/2920d' of policy 'edge' cannot be divided by"
            + " local_share 2, which the running store keeps until a restart, while the file's"
            + " settings give local_share 1: burst 13 at 1 per 2920d takes longer than 36500d to"
            + " recover; lower the burst or raise the limit, or restart to apply local_share 1");
    assertThat(ConfigLoader.load(file).policies()).containsOnlyKeys("api", "edge");
  }

  @Test
  void loadForReload_runningModeLocal_namesStore(@TempDir Path dir) throws Exception {
    // The file's policies fail open, but the running store binds them with on_failure local.
    Path file = dir.resolve("mode.yaml");
    Files.writeString(file, LOCAL_SHARE_ONE.formatted("allow").replace("local_share: 1",
        "local_share: 2"));
    StoreConfig running = runningRedis(FailureMode.LOCAL, 2);

    assertThatThrownBy(() -> ConfigLoader.loadForReload(file, StoreOverride.NONE, running))
        .hasMessage(file + ":13: limit '2/2920d' of policy 'edge' cannot be divided by"
            + " local_share 2, which the running store keeps until a restart: burst 13 at 1 per"
            + " 2920d takes longer than 36500d to recover; lower the burst or raise the limit,"
            + " or restart to apply the file's store settings");
  }

  @Test
  void loadForReload_shareDividesLimits_accepted(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("share.yaml");
    Files.writeString(file, LOCAL_SHARE_ONE.formatted("local"));

    SluiceConfig sameShare =
        ConfigLoader.loadForReload(file, StoreOverride.NONE, runningRedis(FailureMode.LOCAL, 1));
    SluiceConfig failsOpen =
        ConfigLoader.loadForReload(file, StoreOverride.NONE, runningRedis(FailureMode.ALLOW, 2));
    SluiceConfig memory = ConfigLoader.loadForReload(file, StoreOverride.NONE,
        StoreConfig.DEFAULT);

    assertThat(sameShare.policies()).containsOnlyKeys("api", "edge");
    assertThat(failsOpen.policies()).containsOnlyKeys("api", "edge");
    assertThat(memory.policies()).containsOnlyKeys("api", "edge");
  }

  private static StoreConfig runningRedis(FailureMode onFailure, int localShare) {
    return StoreConfig.redis(new RedisConfig("redis://127.0.0.1:6379", "sluice",
        Duration.ofMillis(20), onFailure, localShare, TimeMode.SERVER));
  }

  /**
   * Returns an override that, as {@code --redis} or {@code --redis-cluster} does, replaces the
   * server or cluster of a redis store by those of {@code servers} and keeps its other fields.
   */
  private static StoreOverride serverOverride(RedisConfig servers) {
    return new StoreOverride() {
      @Override
      public StoreConfig apply(StoreConfig fromFile) {
        RedisConfig redis = fromFile.redis().orElse(servers);
        return StoreConfig.redis(servers.uri().isPresent()
            ? redis.withUri(servers.uri().get())
            : redis.withCluster(servers.cluster()));
      }

      @Override
      public Optional<RedisConfig> redisServers() {
        return Optional.of(servers);
      }
    };
  }

  @Test
  void badConfigs_everyFile_hasACase() throws Exception {
    Path dir = badConfig("empty.yaml").getParent();
    try (Stream<Path> files = java.nio.file.Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(
              badConfigs().map(a -> (String) a.get()[0]).toList());
    }
  }

  @Test
  void parse_numberOfFiftyDigits_isTooLargeWithoutEchoingIt() {
    String yaml = """
        policies:
          api:
            limits: [{algorithm: gcra, limit: %s, period: 1m}]
        """.formatted("9".repeat(50));

    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "long.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("long.yaml:3: limit must be at most 2305843009213693951, got a number of 50"
            + " characters");
  }

  @Test
  void parse_limitNameOfHalfMillionChars_quotesItTruncated() {
    String name = "n".repeat(500_000);
    String yaml = """
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m, name: %s}]
        """.formatted(name);

    // The first 100 characters, then the length of the whole name.
    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "long.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("long.yaml:3: limit name must be 1 to 64 characters, got 500000: '"
            + "n".repeat(100) + "\u2026 (500000 characters)'");
  }

  @Test
  void parse_policyNameOf65Chars_statesLengthAndMaximum() {
    String name = "p".repeat(65);
    String yaml = """
        policies:
          %s:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """.formatted(name);

    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "long.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("long.yaml:2: policy name must be 1 to 64 letters, digits, '.', '_' or '-',"
            + " got '" + name + "' (65 characters)");
  }

  @Test
  void parse_unknownAlgorithmOf1000Chars_quotesItTruncated() {
    String yaml = """
        policies:
          api:
            limits: [{algorithm: %s, limit: 5, period: 1m}]
        """.formatted("a".repeat(1_000));

    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "long.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("long.yaml:3: unknown algorithm '" + "a".repeat(100)
            + "\u2026 (1000 characters)', expected one of");
  }

  @Test
  void parse_yamlNestedTooDeep_namesFileWithoutLine() {
    // SnakeYAML allows 50 levels and reports the 51st without a position.
    String yaml = "policies: " + "[".repeat(20_000) + "]".repeat(20_000) + "\n";

    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "deep.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("deep.yaml: invalid YAML: Nesting Depth exceeded max 50");
  }

  @Test
  void load_missingFile_saysNotFound() {
    Path file = Path.of("no-such-dir", "config.yaml");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ": not found");
  }

  @Test
  void load_controlCharactersInFileName_escapesPrefix(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("bad\u001b[31m\n.yaml"), "policies: [");
    String escapedName = dir + "/bad\\x1b[31m\\x0a.yaml";

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(escapedName + ":1: invalid YAML: ");
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("absent\u001b.yaml")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(dir + "/absent\\x1b.yaml: not found");
  }

  @Test
  void load_directory_saysExpectedAFile(@TempDir Path dir) {
    assertThatThrownBy(() -> ConfigLoader.load(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessage(dir + ": is a directory, expected a YAML file");
  }

  @Test
  void load_emptyPath_showsItQuoted() {
    Path empty = Path.of("");

    assertThatThrownBy(() -> ConfigLoader.load(empty))
        .isInstanceOf(ConfigException.class)
        .hasMessage("'': is an empty path, expected the path of a YAML file");
    assertThatThrownBy(() -> ConfigLoader.loadPolicies(empty))
        .isInstanceOf(ConfigException.class)
        .hasMessage("'': is an empty path, expected the path of a YAML file");
  }

  @Test
  void load_fileAboveOneMebibyte_isRejectedBySize(@TempDir Path dir) throws Exception {
    // 1 MiB = 1024 * 1024 = 1048576 bytes; 4 MiB = 4194304 bytes.
    Path huge = Files.write(dir.resolve("huge.yaml"), new byte[4 * 1024 * 1024]);
    Path justAbove = Files.writeString(dir.resolve("above.yaml"), paddedConfig(1048577));

    assertThatThrownBy(() -> ConfigLoader.load(huge))
        .isInstanceOf(ConfigException.class)
        .hasMessage(huge + ": 4194304 bytes, expected at most 1048576");
    assertThatThrownBy(() -> ConfigLoader.load(justAbove))
        .isInstanceOf(ConfigException.class)
        .hasMessage(justAbove + ": 1048577 bytes, expected at most 1048576");
  }

  @Test
  void load_fileOfExactlyOneMebibyte_isAccepted(@TempDir Path dir) throws Exception {
    Path atCap = Files.writeString(dir.resolve("cap.yaml"), paddedConfig(1048576));

    assertThat(Files.size(atCap)).isEqualTo(1048576);
    assertThat(ConfigLoader.load(atCap).policies()).containsOnlyKeys("api");
  }

  @Test
  void loadPolicies_missingFile_saysNotFound() {
    Path file = Path.of("no-such-dir", "config.yaml");

    assertThatThrownBy(() -> ConfigLoader.loadPolicies(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ": not found");
  }

  /** Returns a valid config of {@code size} ASCII bytes, padded by a comment line. */
  private static String paddedConfig(int size) {
    String config = "policies:\n  api:\n    limits: [{algorithm: gcra, limit: 5, period: 1m}]\n";
    return config + "#" + "x".repeat(size - config.length() - 2) + "\n";
  }

  @Test
  void parse_fullExample_keepsEveryFieldAndTheOrder() {
    String yaml = """
        store:
          type: memory
          max_keys: 5000
          at_capacity: deny_new_keys
        policies:
          zeta:
            limits:
              - algorithm: leaky_bucket
                limit: 5
                period: 1s
                burst: 10
                mode: shape
          api:
            limits:
              - name: per-second
                algorithm: token_bucket
                limit: 10
                period: 1s
                burst: 20
              - algorithm: fixed_window
                limit: 1000
                period: 1h
        """;

    SluiceConfig config = ConfigLoader.parse(yaml, "example.yaml");

    assertThat(config.store()).isEqualTo(new StoreConfig(5_000, AtCapacity.DENY_NEW_KEYS));
    assertThat(config.policies().keySet()).containsExactly("zeta", "api");
    assertThat(config.policies().get("zeta")).isEqualTo(Policy.of("zeta",
        new Limit("5/1s", Algorithm.LEAKY_BUCKET, 5, Duration.ofSeconds(1), 10, Mode.SHAPE)));
    assertThat(config.policies().get("api")).isEqualTo(Policy.of("api",
        new Limit("per-second", Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1), 20,
            Mode.POLICE),
        new Limit("1000/1h", Algorithm.FIXED_WINDOW, 1000, Duration.ofHours(1), 1000,
            Mode.POLICE)));
  }

  @Test
  void parse_noStoreSection_usesDefaults() {
    String yaml = """
        policies:
          api:
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;

    SluiceConfig config = ConfigLoader.parse(yaml, "small.yaml");

    assertThat(config.store().maxKeys()).isEqualTo(1_000_000);
    assertThat(config.store().atCapacity()).isEqualTo(AtCapacity.EVICT_SOONEST_RESET);
    assertThat(config.store().type()).isEqualTo("memory");
  }

  @Test
  void parse_aliasedLimits_reusesThem() {
    String yaml = """
        policies:
          first:
            limits: &shared
              - algorithm: gcra
                limit: 5
                period: 1m
          second:
            limits: *shared
        """;

    SluiceConfig config = ConfigLoader.parse(yaml, "aliases.yaml");

    Limit expected = Limit.of(Algorithm.GCRA, 5, Duration.ofMinutes(1));
    assertThat(config.policies().get("first").limits()).containsExactly(expected);
    assertThat(config.policies().get("second").limits()).containsExactly(expected);
  }

  @Test
  void loadDefault_embeddedConfig_hasTheDocumentedPolicies() {
    SluiceConfig config = ConfigLoader.loadDefault();

    assertThat(config.policies().keySet())
        .containsExactly("default", "strict", "login", "shaped", "api");
    assertThat(config.policies().get("default").limits()).containsExactly(
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withBurst(20));
    assertThat(config.policies().get("strict").limits()).containsExactly(
        Limit.of(Algorithm.SLIDING_WINDOW, 100, Duration.ofMinutes(1)));
    assertThat(config.policies().get("login").limits()).containsExactly(
        Limit.of(Algorithm.GCRA, 5, Duration.ofMinutes(1)).withBurst(5));
    assertThat(config.policies().get("shaped").limits()).containsExactly(
        Limit.of(Algorithm.LEAKY_BUCKET, 5, Duration.ofSeconds(1)).withBurst(10)
            .withMode(Mode.SHAPE));
    assertThat(config.policies().get("api").limits()).containsExactly(
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withBurst(20)
            .withName("per-second"),
        Limit.of(Algorithm.FIXED_WINDOW, 1000, Duration.ofHours(1)).withName("per-hour"));
    assertThat(config.store()).isEqualTo(StoreConfig.DEFAULT);
  }

  @Test
  void policies_returned_areUnmodifiable() {
    SluiceConfig config = ConfigLoader.loadDefault();

    assertThatThrownBy(() -> config.policies().remove("api"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  private static Path badConfig(String name) throws URISyntaxException {
    return Path.of(ConfigLoaderTest.class.getResource("/bad-configs/" + name).toURI());
  }
}
