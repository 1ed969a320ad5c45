package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision.Source;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store's moves to the masters that sentinels announce, with a {@link FakeSentinel} that
 * orders lookups and announcements as real sentinels do only by chance, in front of a real
 * master and its replica.
 */
class SentinelFollowerTest {

  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.FIXED_WINDOW, 1_000, Duration.ofHours(1)));
  /** Long enough that the quick lookup after it finishes first even on a loaded machine. */
  private static final long SLOW_LOOKUP_MILLIS = 2_000;

  private final RedisClient admin = RedisClient.create();
  private RedisServer master;
  private RedisServer replica;

  @BeforeEach
  void startMasterAndReplica() {
    master = RedisServer.start();
    replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port()));
  }

  @AfterEach
  void stopMasterAndReplica() {
    admin.shutdown();
    replica.close();
    master.close();
  }

  /**
   * A failover and a failback 200 ms apart, where the lookup for the failover is slow: its
   * connection, to the node that is a replica again, completes after the failback's and must
   * not replace it. The store would then decide on the replica, where every admission fails.
   */
  @Test
  void failback_slowEarlierLookup_keepsLatestMaster() throws Exception {
    try (FakeSentinel sentinel = FakeSentinel.start(master.port());
        RedisStore store = storeThrough(sentinel)) {
      PolicyBinding binding = store.bind(POLICY);
      awaitSubscription(sentinel);

      sentinel.nameMaster(replica.port(), SLOW_LOOKUP_MILLIS);
      sentinel.announce(master.port(), replica.port());
      Thread.sleep(200);
      sentinel.nameMaster(master.port(), 0);
      sentinel.announce(replica.port(), master.port());
      Thread.sleep(SLOW_LOOKUP_MILLIS + 1_000);

      assertThat(binding.tryAcquire("user-42", 1, 0).source()).isEqualTo(Source.STORE);
    }
  }

  /**
   * Announcements from two sentinels in no set order: after a failback to A, the second
   * sentinel's late announcement of the failover to B arrives while the lookup for the
   * failback is still running. The sentinels name A, so the store must end on A, whatever the
   * last announcement names.
   */
  @Test
  void lateAnnouncement_staleMaster_followsSentinelsAnswer() throws Exception {
    try (FakeSentinel first = FakeSentinel.start(master.port());
        FakeSentinel second = FakeSentinel.start(master.port());
        RedisStore store = storeThrough(first, second)) {
      PolicyBinding binding = store.bind(POLICY);
      awaitSubscription(first);
      awaitSubscription(second);
      first.nameMaster(replica.port(), 0);
      second.nameMaster(replica.port(), 0);
      first.announce(master.port(), replica.port());
      Thread.sleep(1_000);

      first.nameMaster(master.port(), 500);
      second.nameMaster(master.port(), 0);
      first.announce(replica.port(), master.port());
      second.announce(master.port(), replica.port());
      Thread.sleep(2_000);

      assertThat(binding.tryAcquire("user-42", 1, 0).source()).isEqualTo(Source.STORE);
    }
  }

  /**
   * A sentinel that is down when the store starts, and comes up later: the store subscribes to
   * it then, and follows a failover that only it announces.
   */
  @Test
  void sentinelDownAtStart_subscribedWhenUp() throws Exception {
    int laterPort;
    try (ServerSocket reserved = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      laterPort = reserved.getLocalPort();
    }
    try (FakeSentinel first = FakeSentinel.start(master.port());
        RedisStore store = RedisStore.builder()
            .uri("redis-sentinel://127.0.0.1:" + first.port() + ",127.0.0.1:" + laterPort
                + "/0#" + SentinelGroup.MASTER_NAME)
            .onFailure(FailureMode.DENY)
            .commandTimeout(Duration.ofSeconds(5))
            .build();
        FakeSentinel later = FakeSentinel.start(master.port(), laterPort)) {
      PolicyBinding binding = store.bind(POLICY);
      awaitSubscription(later);
      RedisCommands<String, String> promoted = admin.connect(RedisURI.create(replica.uri())).sync();
      promoted.replicaofNoOne();
      first.nameMaster(replica.port(), 0);
      later.nameMaster(replica.port(), 0);

      later.announce(master.port(), replica.port());
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (promoted.keys("sluice:{api:*").isEmpty()) {
        assertThat(System.nanoTime()).as("a decision on the announced master")
            .isLessThan(deadline);
        binding.tryAcquire("user-42", 1, 0);
        Thread.sleep(50);
      }
    }
  }

  /**
   * Sentinels that name a master which accepts connections but never replies, as a host whose
   * Redis hangs does. Lettuce would wait the URI's 60 s for its handshake. Each attempt to move
   * is given 2 s instead, and the next starts 0.5 s later, so the second connection comes
   * about 2.5 s after the first, and the store decides on its old master meanwhile.
   */
  @Test
  void silentMaster_retriedAfterTwoSeconds() throws Exception {
    List<Long> acceptedAtNanos = new CopyOnWriteArrayList<>();
    List<Socket> connections = new CopyOnWriteArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        FakeSentinel sentinel = FakeSentinel.start(master.port());
        RedisStore store = storeThrough(sentinel)) {
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            connections.add(silent.accept());
            acceptedAtNanos.add(System.nanoTime());
          }
        } catch (IOException closed) {
          // The test is over.
        }
      }, "silent-master");
      acceptor.setDaemon(true);
      acceptor.start();
      PolicyBinding binding = store.bind(POLICY);
      awaitSubscription(sentinel);

      sentinel.nameMaster(silent.getLocalPort(), 0);
      sentinel.announce(master.port(), silent.getLocalPort());
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (acceptedAtNanos.size() < 2) {
        assertThat(System.nanoTime()).as("a second attempt").isLessThan(deadline);
        Thread.sleep(20);
      }

      long gapMillis = (acceptedAtNanos.get(1) - acceptedAtNanos.get(0)) / 1_000_000;
      assertThat(gapMillis).isBetween(2_000L, 10_000L);
      assertThat(binding.tryAcquire("user-42", 1, 0).source()).isEqualTo(Source.STORE);
    } finally {
      for (Socket socket : connections) {
        socket.close();
      }
    }
  }

  /** Returns a store that finds its master through the sentinels, and denies without Redis. */
  private static RedisStore storeThrough(FakeSentinel... sentinels) {
    String hosts = Arrays.stream(sentinels).map(s -> "127.0.0.1:" + s.port())
        .collect(Collectors.joining(","));
    return RedisStore.builder()
        .uri("redis-sentinel://" + hosts + "/0#" + SentinelGroup.MASTER_NAME)
        .onFailure(FailureMode.DENY)
        .commandTimeout(Duration.ofSeconds(5))
        .build();
  }

  private static void awaitSubscription(FakeSentinel sentinel) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (sentinel.subscribers() == 0) {
      assertThat(System.nanoTime()).as("the store's subscription to the sentinel")
          .isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
