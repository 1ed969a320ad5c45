package dev.sluice.redis;

import dev.sluice.store.PolicyBinding;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Runs a call inside a dependent stage of an asynchronous decision, on the store's thread that
 * completes it. A stage attached after the reply has come runs on the calling thread instead,
 * so such runs are tried again with another outer key, at most 100 times.
 */
final class StoreThreadStage {

  private static final int MAX_RUNS = 100;

  private final Thread thread;
  private final Throwable error;

  private StoreThreadStage(Thread thread, Throwable error) {
    this.thread = thread;
    this.error = error;
  }

  /**
   * Runs {@code call} in a stage of {@code binding.tryAcquireAsync} on a fresh key, each run a
   * key of its own, so that a deny cache cannot decide it without Redis.
   */
  static StoreThreadStage run(PolicyBinding binding, Consumer<PolicyBinding> call) {
    Thread caller = Thread.currentThread();
    AtomicReference<Thread> stageThread = new AtomicReference<>();
    AtomicReference<Throwable> stageError = new AtomicReference<>();
    for (int run = 0; run < MAX_RUNS && (stageThread.get() == null || stageThread.get() == caller);
        run++) {
      binding.tryAcquireAsync("outer-" + run, 1, Long.MAX_VALUE).thenAccept(outer -> {
        stageThread.set(Thread.currentThread());
        call.accept(binding);
      }).handle((ignored, failure) -> {
        stageError.set(failure);
        return null;
      }).toCompletableFuture().join();
    }
    return new StoreThreadStage(stageThread.get(), stageError.get());
  }

  /** Returns the thread that ran the stage last. */
  Thread thread() {
    return thread;
  }

  /** Returns the failure of the stage that ran last, wrapped by the stage, or null. */
  Throwable error() {
    return error;
  }
}
