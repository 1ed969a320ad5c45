package dev.sluice.redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The stage of an asynchronous decision on Redis, and of the stages that depend on it. Waiting
 * for it with {@link #join} or {@link #get} on a thread of a Redis store throws
 * {@link IllegalStateException} while it is not complete, as a blocking decision there does
 * (see {@link StoreThreads#requireBlockingAllowed}). That thread reads the replies, so the wait
 * would last until the decision timed out, every time. A wait through another future, such as
 * {@code CompletableFuture.allOf(stage).join()}, is not detected. The request of the stage
 * waited for is still decided by Redis, and charged if admitted.
 */
final class StoreStage<T> extends CompletableFuture<T> {

  @Override
  public T join() {
    requireBlockingAllowed();
    return super.join();
  }

  @Override
  public T get() throws InterruptedException, ExecutionException {
    requireBlockingAllowed();
    return super.get();
  }

  /** Waits as {@link CompletableFuture#get(long, TimeUnit)} does; a timeout of 0 only polls. */
  @Override
  public T get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    if (timeout > 0) {
      requireBlockingAllowed();
    }
    return super.get(timeout, unit);
  }

  /** Makes the stages that depend on this one check their waits too. */
  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new StoreStage<>();
  }

  private void requireBlockingAllowed() {
    if (!isDone()) {
      StoreThreads.requireBlockingAllowed();
    }
  }
}
