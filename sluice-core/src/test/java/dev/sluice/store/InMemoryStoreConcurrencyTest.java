package dev.sluice.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.FakeTimeSource;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real threads on one key, on a fake time source that does not move, so that the exact number
 * of admissions is known. The race between reading and writing a key's state must never admit
 * more, or fewer, than the limit.
 */
class InMemoryStoreConcurrencyTest {

  private static final int THREADS = 16;
  /** Generous bound for awaiting the threads; no assertion depends on it. */
  private static final long AWAIT_MINUTES = 2;

  private final FakeTimeSource time = new FakeTimeSource();
  private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

  @AfterEach
  void stopThreads() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(AWAIT_MINUTES, TimeUnit.MINUTES)).isTrue();
  }

  /** Sends {@code requests} requests of cost 1 to one key from all threads at once. */
  private int race(PolicyBinding binding, String key, int requests) throws Exception {
    AtomicInteger allowed = new AtomicInteger();
    onAllThreads(requests, ticket -> {
      if (binding.tryAcquire(key, 1, Long.MAX_VALUE).allowed()) {
        allowed.incrementAndGet();
      }
    });
    return allowed.get();
  }

  /**
   * Starts all threads at once, which share out the tickets from 0 to {@code tickets} - 1 and
   * call {@code work} with each, and waits until all tickets are done.
   */
  private void onAllThreads(int tickets, IntConsumer work) throws Exception {
    AtomicInteger next = new AtomicInteger();
    CyclicBarrier start = new CyclicBarrier(THREADS);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      done.add(pool.submit(() -> {
        start.await();
        int ticket;
        while ((ticket = next.getAndIncrement()) < tickets) {
          work.accept(ticket);
        }
        return null;
      }));
    }
    for (Future<?> future : done) {
      future.get(AWAIT_MINUTES, TimeUnit.MINUTES);
    }
  }

  @Test
  void tryAcquire_thousandRacingRequests_admitHundred() throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).build();
    PolicyBinding binding = store.bind(Policy.of("test",
        Limit.of(Algorithm.TOKEN_BUCKET, 100, Duration.ofSeconds(60))));

    int allowed = race(binding, "k", 1_000);

    assertThat(allowed).isEqualTo(100);
    Decision after = binding.tryAcquire("k", 0, Long.MAX_VALUE);
    assertThat(after.remaining()).isZero();
  }

  @Test
  void tryAcquire_gcraOneLeftFiftyRacing_admitsOne() throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).build();
    PolicyBinding binding = store.bind(Policy.of("test",
        Limit.of(Algorithm.GCRA, 10, Duration.ofSeconds(60))));
    for (int i = 0; i < 9; i++) {
      binding.tryAcquire("k", 1, Long.MAX_VALUE);
    }

    int allowed = race(binding, "k", 50);

    assertThat(allowed).isEqualTo(1);
    // T = 6 s: the next unit is due 6 s later.
    Decision next = binding.tryAcquire("k", 1, Long.MAX_VALUE);
    assertThat(next.retryAfterNanos()).isEqualTo(6_000_000_000L);
    time.advance(Duration.ofSeconds(6));
    assertThat(race(binding, "k", 50)).isEqualTo(1);
  }

  static Stream<Limit> everyAlgorithm() {
    Duration period = Duration.ofSeconds(60);
    return Stream.of(
        Limit.of(Algorithm.FIXED_WINDOW, 100, period),
        Limit.of(Algorithm.SLIDING_LOG, 100, period),
        Limit.of(Algorithm.SLIDING_WINDOW, 100, period),
        Limit.of(Algorithm.TOKEN_BUCKET, 100, period),
        Limit.of(Algorithm.LEAKY_BUCKET, 100, period),
        Limit.of(Algorithm.LEAKY_BUCKET, 100, period).withMode(Mode.SHAPE),
        Limit.of(Algorithm.GCRA, 100, period));
  }

  @ParameterizedTest
  @MethodSource("everyAlgorithm")
  void tryAcquire_racingThreads_admitExactlyLimit(Limit limit) throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).build();
    PolicyBinding binding = store.bind(Policy.of("test", limit));

    int allowed = race(binding, "k", 2_000);

    assertThat(allowed).isEqualTo(100);
  }

  @Test
  void tryAcquire_racingOnTwoLimits_chargeBothOrNeither() throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).build();
    PolicyBinding binding = store.bind(Policy.of("two",
        Limit.of(Algorithm.TOKEN_BUCKET, 70, Duration.ofSeconds(60)).withName("bucket"),
        Limit.of(Algorithm.SLIDING_LOG, 100, Duration.ofSeconds(60)).withName("log")));

    int allowed = race(binding, "k", 2_000);

    assertThat(allowed).isEqualTo(70);
    // The log was charged only for the 70 admitted requests.
    Decision peek = binding.tryAcquire("k", 0, Long.MAX_VALUE);
    assertThat(peek.remaining()).isZero();
    time.advance(Duration.ofSeconds(60));
    assertThat(binding.tryAcquire("k", 0, Long.MAX_VALUE).remaining()).isEqualTo(70);
  }

  @Test
  void tryAcquire_racingWithCleanUp_admitsExactlyLimit() throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).build();
    PolicyBinding binding = store.bind(Policy.of("test",
        Limit.of(Algorithm.TOKEN_BUCKET, 100, Duration.ofSeconds(60))));
    binding.tryAcquire("k", 100, Long.MAX_VALUE);
    // Full again, so every cleanUp() may remove the key until a thread takes a unit.
    time.advance(Duration.ofSeconds(60));
    AtomicBoolean racing =
        new AtomicBoolean(true);
    Thread cleaner = new Thread(() -> {
      while (racing.get()) {
        store.cleanUp();
      }
    });
    cleaner.start();

    int allowed;
    try {
      allowed = race(binding, "k", 2_000);
    } finally {
      racing.set(false);
      cleaner.join();
    }

    assertThat(allowed).isEqualTo(100);
    assertThat(store.trackedKeys()).isEqualTo(1);
  }

  @Test
  void tryAcquire_racingNewKeysAtDenyCap_admitNoMoreKeysThanRoom() throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).maxKeys(50)
        .atCapacity(AtCapacity.DENY_NEW_KEYS).build();
    PolicyBinding binding = store.bind(Policy.of("test",
        Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofHours(1))));
    AtomicInteger admitted = new AtomicInteger();

    onAllThreads(2_000, key -> {
      if (binding.tryAcquire("new-" + key, 1, Long.MAX_VALUE).allowed()) {
        admitted.incrementAndGet();
      }
    });

    // No key expires, so only the first keys up to the cap get in.
    assertThat(admitted.get()).isEqualTo(50);
    assertThat(store.trackedKeys()).isEqualTo(50);
  }

  /**
   * Threads inserting new keys at once into a store at its cap never pass it. When each
   * thread checked the count and then inserted, several passed the check together, and each
   * later insertion evicted only one key, so the store stayed above its cap for good.
   */
  @Test
  void tryAcquire_racingNewKeysAtEvictCap_neverPassesCap() throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).maxKeys(4).build();
    PolicyBinding binding = store.bind(Policy.of("test",
        Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofHours(1))));
    AtomicLong mostTracked = new AtomicLong();

    onAllThreads(200_000, key -> {
      binding.tryAcquire("new-" + key, 1, Long.MAX_VALUE);
      mostTracked.accumulateAndGet(store.trackedKeys(), Math::max);
    });

    assertThat(mostTracked.get()).isLessThanOrEqualTo(4);
    assertThat(store.trackedKeys()).isEqualTo(4);
  }

  /**
   * A key at its limit keeps its state while another policy floods the full store with new
   * keys. When the flooding policy's keys were being sampled by another thread, the store used
   * to evict from the other policies instead, and so forgot the key at its limit again and
   * again.
   */
  @Test
  void tryAcquire_otherPolicyFloodsAtCap_hotKeyKeepsItsLimit() throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).maxKeys(50).build();
    PolicyBinding hot = store.bind(Policy.of("hot",
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofHours(1))));
    PolicyBinding flood = store.bind(Policy.of("flood",
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofHours(1))));
    AtomicInteger admitted = new AtomicInteger();

    onAllThreads(100_000, ticket -> {
      if (ticket % 10 == 0) {
        if (hot.tryAcquire("hot", 1, Long.MAX_VALUE).allowed()) {
          admitted.incrementAndGet();
        }
      } else {
        flood.tryAcquire("flood-" + ticket, 1, Long.MAX_VALUE);
      }
    });

    assertThat(admitted.get()).isEqualTo(10);
  }

  @Test
  void tryAcquire_racingOneOffKeys_stayNearMaxKeys() throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).maxKeys(100).build();
    PolicyBinding binding = store.bind(Policy.of("test",
        Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofHours(1))));
    AtomicInteger denied = new AtomicInteger();

    onAllThreads(20_000, key -> {
      if (!binding.tryAcquire("once-" + key, 1, Long.MAX_VALUE).allowed()) {
        denied.incrementAndGet();
      }
    });

    assertThat(denied.get()).isZero();
    assertThat(store.trackedKeys()).isBetween(1L, 100L);
  }

  @Test
  void tryAcquire_evictionRace_leavesNoKeyLocked() throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).maxKeys(20).build();
    PolicyBinding binding = store.bind(Policy.of("test",
        Limit.of(Algorithm.TOKEN_BUCKET, 1_000_000, Duration.ofHours(1))));
    // A one-off key costs as much as 1,000 requests on a hot key, so that both kinds of key are
    // the least used at times and get evicted while being decided.
    onAllThreads(40_000, ticket -> {
      if (ticket % 2 == 0) {
        binding.tryAcquire("hot-" + ticket % 8, 1, Long.MAX_VALUE);
      } else {
        binding.tryAcquire("once-" + ticket, 1_000, Long.MAX_VALUE);
      }
    });
    assertThat(store.trackedKeys()).isBetween(1L, 20L);

    // The even tickets go to 4 hot keys, so none took more than 20,000 / 4 = 5,000 units. An
    // hour refills a bucket of 1,000,000, so a sweep removes every key unless one was left
    // locked or counted twice.
    time.advance(Duration.ofHours(1));
    store.cleanUp();

    assertThat(store.trackedKeys()).isZero();
  }
}
