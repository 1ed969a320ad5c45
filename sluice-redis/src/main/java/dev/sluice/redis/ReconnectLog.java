package dev.sluice.redis;

import io.lettuce.core.event.Event;
import io.lettuce.core.event.EventBus;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ReconnectFailedEvent;
import reactor.core.Disposable;

/**
 * Logs why Lettuce cannot reconnect when Redis is reachable but refuses the connection, such
 * as after a change of {@code requirepass} or of the TLS certificate. The store's own lines do
 * not show it, because while the connection is down a decision fails only with "Currently not
 * connected". One WARNING names the cause of the first such failed attempt after a connection
 * was lost, and one more each time the cause changes, so a long outage costs a line or two,
 * not a line per attempt. One INFO line says when a connection is made again after such a
 * WARNING, so that a log ending on one means that the store is still cut off. A new connection
 * starts over. A Redis that cannot be reached at all
 * is left to the breaker's lines, which report the outage already.
 */
final class ReconnectLog implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(RedisStore.class.getName());

  private final String maskedUri;
  private final Disposable subscription;
  private String lastCause;

  ReconnectLog(EventBus events, String maskedUri) {
    this.maskedUri = maskedUri;
    this.subscription = events.get().subscribe(this::onEvent);
  }

  private synchronized void onEvent(Event event) {
    if (event instanceof ConnectionActivatedEvent activated) {
      if (lastCause != null) {
        LOG.log(System.Logger.Level.INFO, "Redis store reconnected uri=" + maskedUri
            + " server=" + RedisStore.address(activated.remoteAddress())
            + " after error=\"" + lastCause + "\"");
      }
      lastCause = null;
    } else if (event instanceof ReconnectFailedEvent failed
        && ConnectErrors.isRejectedByServer(failed.getCause())) {
      String cause = ConnectErrors.causeOf(failed.getCause());
      if (!cause.equals(lastCause)) {
        lastCause = cause;
        LOG.log(System.Logger.Level.WARNING, "Redis store cannot reconnect uri=" + maskedUri
            + " server=" + RedisStore.address(failed.remoteAddress())
            + " attempt=" + failed.getAttempt() + " error=\"" + cause + "\"; it keeps trying,"
            + " and logs again only if the error changes");
      }
    }
  }

  @Override
  public void close() {
    subscription.dispose();
  }
}
