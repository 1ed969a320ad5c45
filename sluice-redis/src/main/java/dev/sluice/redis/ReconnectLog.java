package dev.sluice.redis;

import io.lettuce.core.event.Event;
import io.lettuce.core.event.EventBus;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ReconnectFailedEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import reactor.core.Disposable;

/**
 * Logs why Lettuce cannot reconnect when Redis is reachable but refuses the connection, such
 * as after a change of {@code requirepass} or of the TLS certificate. The store's own lines do
 * not show it, because while the connection is down a decision fails only with "Currently not
 * connected". One WARNING names the cause of the first such failed attempt at a server, and one
 * more each time that server's cause changes, so a long outage costs a line or two, not a line
 * per attempt. One INFO line reports when a connection to that server is made again. So a log
 * that ends on the WARNING means that the store is still cut off from that server. Servers are
 * told apart by address, because connections to others, such as the sentinels that a Sentinel
 * URI asks before each attempt, say nothing about the refusing one. A Redis that cannot be
 * reached at all is left to the breaker's lines, which report the outage already.
 */
final class ReconnectLog implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(RedisStore.class.getName());

  private final String maskedUri;
  private final Disposable subscription;
  /** The last cause logged for each server that refused a connection since its last one. */
  private final Map<String, String> refusals = new HashMap<>();

  ReconnectLog(EventBus events, String maskedUri) {
    this.maskedUri = maskedUri;
    this.subscription = events.get().subscribe(this::onEvent);
  }

  private synchronized void onEvent(Event event) {
    if (event instanceof ConnectionActivatedEvent activated) {
      String server = RedisStore.address(activated.remoteAddress());
      String cause = null;
      for (String key : keysOf(activated.remoteAddress())) {
        String removed = refusals.remove(key);
        cause = cause == null ? removed : cause;
      }
      if (cause != null) {
        LOG.log(System.Logger.Level.INFO, "Redis store reconnected uri=" + maskedUri
            + " server=" + server + " after error=\"" + cause + "\"");
      }
    } else if (event instanceof ReconnectFailedEvent failed
        && ConnectErrors.isRejectedByServer(failed.getCause())) {
      String server = RedisStore.address(failed.remoteAddress());
      String cause = ConnectErrors.causeOf(failed.getCause());
      if (!cause.equals(refusals.put(keysOf(failed.remoteAddress()).get(0), cause))) {
        LOG.log(System.Logger.Level.WARNING, "Redis store cannot reconnect uri=" + maskedUri
            + " server=" + server + " attempt=" + failed.getAttempt() + " error=\"" + cause
            + "\"; it keeps trying, and logs again only if the error changes");
      }
    }
  }

  /**
   * Returns the keys under which a server's refusal is kept: its host as written, with an IPv6
   * address in one form, and for a resolved address also its IP address, each with the port.
   * A failed attempt reports the address as the URI wrote it, unresolved, such as {@code [::1]}
   * or {@code localhost}, and a connection the address it reached, such as
   * {@code 0:0:0:0:0:0:0:1}, so the first key of a failure must be among a connection's keys.
   */
  static List<String> keysOf(SocketAddress address) {
    if (!(address instanceof InetSocketAddress inet)) {
      return List.of(String.valueOf(address));
    }
    String host = RedisStore.hostOf(inet);
    if (host.contains(":")) {
      try {
        // A literal IPv6 address is parsed, not looked up.
        host = InetAddress.getByName(host).getHostAddress();
      } catch (UnknownHostException notLiteral) {
        // Kept as written.
      }
    }
    List<String> keys = new ArrayList<>(List.of(host + ":" + inet.getPort()));
    if (inet.getAddress() != null) {
      String ip = inet.getAddress().getHostAddress() + ":" + inet.getPort();
      if (!keys.contains(ip)) {
        keys.add(ip);
      }
    }
    return keys;
  }

  @Override
  public void close() {
    subscription.dispose();
  }
}
