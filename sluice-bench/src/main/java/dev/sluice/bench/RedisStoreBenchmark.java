package dev.sluice.bench;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.RateLimiter;
import dev.sluice.redis.RedisStore;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.redisson.Redisson;
import org.redisson.api.RRateLimiter;
import org.redisson.api.RateType;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Decisions per second through a local Redis: Sluice's {@link RedisStore}, Bucket4j's Lettuce
 * proxy manager and Redisson's {@code RRateLimiter}, all with 1,000,000 requests per second
 * per key, so that nearly every request is admitted, and a bare Lettuce {@code PING} as the
 * floor of one round trip. Each trial starts its own {@code redis-server} (see
 * {@link BenchRedisServer}). After each trial a line starting with {@code [redis]} gives the
 * Redis keys left, their {@code MEMORY USAGE} per user key, and the calls per decision of each
 * Redis command from {@code INFO commandstats}, where commands that scripts call count too
 * and the benchmark's own {@code INFO} and {@code SCAN} calls add a little.
 *
 * <pre>{@code
 * java -cp "$CP" org.openjdk.jmh.Main RedisStoreBenchmark -f 1 -wi 2 -i 3 -r 2s
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class RedisStoreBenchmark {

  private static final long LIMIT_PER_SECOND = 1_000_000;

  /** The client library. */
  @Param({"sluice", "bucket4j", "redisson", "ping"})
  public String library;

  /** The number of distinct keys; each request picks one at random. */
  @Param({"1", "10000"})
  public int keys;

  private BenchRedisServer server;
  private Client client;
  private final LongAdder decisions = new LongAdder();
  private Map<String, Long> callsBefore;

  /** One library's way of deciding a request for a key. */
  interface Client extends AutoCloseable {
    boolean tryAcquire(int key);

    @Override
    void close();
  }

  @Setup(Level.Trial)
  public void start() {
    server = BenchRedisServer.start();
    client = switch (library) {
      case "sluice" -> sluice(server.uri());
      case "bucket4j" -> bucket4j(server.uri());
      case "redisson" -> redisson(server.uri(), keys);
      case "ping" -> ping(server.uri());
      default -> throw new IllegalArgumentException(
          "library must be sluice, bucket4j, redisson or ping, got " + library);
    };
    callsBefore = server.admin(commands -> RedisInfo.calls(commands.info("commandstats")));
  }

  @TearDown(Level.Trial)
  public void stop() throws InterruptedException {
    Map<String, Long> callsAfter =
        server.admin(commands -> RedisInfo.calls(commands.info("commandstats")));
    long total = Math.max(1, decisions.sum());
    long[] storage = server.admin(RedisStoreBenchmark::storage);
    System.out.printf("%n[redis] library=%s keys=%d decisions=%d redis_keys=%d"
            + " bytes_per_user_key=%d commands_per_decision: %s%n", library, keys, total,
        storage[0], storage[1] / keys, RedisInfo.perCall(callsBefore, callsAfter, total));
    client.close();
    server.close();
  }

  @Benchmark
  @Threads(1)
  public boolean oneThread() {
    return decide();
  }

  @Benchmark
  @Threads(8)
  public boolean eightThreads() {
    return decide();
  }

  private boolean decide() {
    decisions.increment();
    int key = keys == 1 ? 0 : ThreadLocalRandom.current().nextInt(keys);
    return client.tryAcquire(key);
  }

  private static Client sluice(String uri) {
    // A stall of the shared machine longer than the default 20 ms timeout would turn decisions
    // into the failure mode's, made without Redis, which would count; 3 in a row would open
    // the circuit breaker for a second of them.
    RedisStore store = RedisStore.builder().uri(uri).commandTimeout(Duration.ofSeconds(10))
        .build();
    Limit limit = Limit.of(Algorithm.TOKEN_BUCKET, LIMIT_PER_SECOND, Duration.ofSeconds(1));
    RateLimiter limiter = RateLimiter.builder(Policy.of("bench", limit)).store(store).build();
    String[] names = keyNames();
    return new Client() {
      @Override
      public boolean tryAcquire(int key) {
        return limiter.tryAcquire(names[key]).allowed();
      }

      @Override
      public void close() {
        store.close();
      }
    };
  }

  private static Client bucket4j(String uri) {
    RedisClient redis = RedisClient.create(uri);
    ExpirationAfterWriteStrategy expiry =
        ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10));
    ProxyManager<byte[]> buckets = Bucket4jLettuce.casBasedBuilder(redis)
        .expirationAfterWrite(expiry)
        .build();
    BucketConfiguration configuration = BucketConfiguration.builder()
        .addLimit(limit -> limit.capacity(LIMIT_PER_SECOND)
            .refillGreedy(LIMIT_PER_SECOND, Duration.ofSeconds(1)))
        .build();
    byte[][] names = new byte[10_000][];
    String[] text = keyNames();
    for (int i = 0; i < names.length; i++) {
      names[i] = text[i].getBytes(StandardCharsets.UTF_8);
    }
    return new Client() {
      @Override
      public boolean tryAcquire(int key) {
        return buckets.builder().build(names[key], () -> configuration).tryConsume(1);
      }

      @Override
      public void close() {
        redis.shutdown();
      }
    };
  }

  private static Client redisson(String uri, int keys) {
    Config config = new Config();
    config.useSingleServer().setAddress(uri);
    RedissonClient redisson = Redisson.create(config);
    String[] names = keyNames();
    RRateLimiter[] limiters = new RRateLimiter[keys];
    for (int i = 0; i < keys; i++) {
      limiters[i] = redisson.getRateLimiter(names[i]);
      limiters[i].trySetRate(RateType.OVERALL, LIMIT_PER_SECOND, Duration.ofSeconds(1));
    }
    return new Client() {
      @Override
      public boolean tryAcquire(int key) {
        return limiters[key].tryAcquire();
      }

      @Override
      public void close() {
        redisson.shutdown();
      }
    };
  }

  private static Client ping(String uri) {
    RedisClient redis = RedisClient.create(uri);
    StatefulRedisConnection<String, String> connection = redis.connect();
    RedisCommands<String, String> commands = connection.sync();
    return new Client() {
      @Override
      public boolean tryAcquire(int key) {
        return "PONG".equals(commands.ping());
      }

      @Override
      public void close() {
        connection.close();
        redis.shutdown();
      }
    };
  }

  /** Returns the number of Redis keys and the sum of their MEMORY USAGE in bytes. */
  private static long[] storage(RedisCommands<String, String> commands) {
    long count = 0;
    long bytes = 0;
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = commands.scan(cursor, ScanArgs.Builder.limit(1_000));
      for (String key : page.getKeys()) {
        Long usage = commands.memoryUsage(key);
        count++;
        bytes += usage == null ? 0 : usage;
      }
      cursor = page;
    } while (!cursor.isFinished());
    return new long[] {count, bytes};
  }

  private static String[] keyNames() {
    String[] names = new String[10_000];
    for (int i = 0; i < names.length; i++) {
      names[i] = "user-" + i;
    }
    return names;
  }
}
