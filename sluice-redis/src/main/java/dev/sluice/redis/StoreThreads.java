package dev.sluice.redis;

import io.lettuce.core.resource.ThreadFactoryProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.ThreadFactory;

/**
 * Makes the threads of a {@link RedisStore}: Lettuce's I/O and event threads and the timeout
 * timer's thread. These threads read Redis's replies and complete the decisions, so a caller
 * that blocks one of them on a decision waits for a reply that only it could read. Marking them
 * lets the blocking calls detect that and fail at once, where they would otherwise time out and
 * be decided by the failure mode every time.
 */
final class StoreThreads implements ThreadFactoryProvider {

  /** A thread of a Redis store, as Netty makes its own, for its fast thread-local variables. */
  private static final class StoreThread extends FastThreadLocalThread {
    StoreThread(ThreadGroup group, Runnable task, String name) {
      super(group, task, name);
    }
  }

  /** Makes daemon threads named after the pool, as Lettuce's default does. */
  @Override
  public ThreadFactory getThreadFactory(String poolName) {
    return factory(poolName);
  }

  static ThreadFactory factory(String poolName) {
    return new DefaultThreadFactory(poolName, true) {
      @Override
      protected Thread newThread(Runnable task, String name) {
        return new StoreThread(threadGroup, task, name);
      }
    };
  }

  /**
   * Throws when the calling thread belongs to a Redis store, before a decision that would
   * wait for Redis on it, or that could, as a deny cache's decision does when it misses.
   */
  static void requireBlockingAllowed() {
    if (Thread.currentThread() instanceof StoreThread) {
      throw new IllegalStateException("a blocking decision (tryAcquire, acquire, or join or"
          + " get of a decision's stage) waits for Redis, but was called on "
          + Thread.currentThread().getName() + ", a thread of a Redis store that reads its"
          + " replies; use tryAcquireAsync there, or run the blocking call in a stage with an"
          + " executor, such as thenApplyAsync");
    }
  }
}
