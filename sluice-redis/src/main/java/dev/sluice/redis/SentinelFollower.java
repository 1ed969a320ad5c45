package dev.sluice.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.netty.util.Timer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Listens to the sentinels of a {@code redis-sentinel://} URI for the announcement that they
 * promoted a new master for the URI's master name ({@code +switch-master}), and reports it.
 * A connection that queries the sentinels for the master only when it
 * reconnects stays on the old master after a failover that leaves it running, such as
 * {@code SENTINEL FAILOVER}, a network partition or a paused master, until the sentinels turn it
 * into a replica, seconds later. Every admission of that time is lost.
 *
 * <p>Each sentinel publishes the announcement when it adopts the new master, so one failover
 * comes several times. A sentinel that cannot be reached when the store starts is tried again
 * every few seconds, and Lettuce reconnects and subscribes again to one that goes away later.
 */
final class SentinelFollower implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(SentinelFollower.class.getName());
  private static final String SWITCH_MASTER = "+switch-master";

  /** How long the follower waits before it tries again to subscribe to a sentinel. */
  static final long RESUBSCRIBE_MILLIS = 5_000;

  private final List<StatefulRedisPubSubConnection<String, String>> subscriptions =
      new CopyOnWriteArrayList<>();
  private final RedisClient client;
  private final String masterName;
  private final String maskedUri;
  private final Timer timer;
  private final Runnable onSwitch;
  private volatile boolean closed;

  /**
   * Subscribes to each sentinel of {@code uri}, without waiting, and tries again every
   * {@value #RESUBSCRIBE_MILLIS} ms to subscribe to a sentinel that cannot be reached.
   * {@code onSwitch} runs on a Lettuce I/O thread for each announcement, so it must not block.
   */
  SentinelFollower(RedisClient client, RedisURI uri, String maskedUri, Timer timer,
      Runnable onSwitch) {
    this.client = client;
    this.masterName = uri.getSentinelMasterId();
    this.maskedUri = maskedUri;
    this.timer = timer;
    this.onSwitch = onSwitch;
    uri.getSentinels().forEach(this::subscribe);
  }

  private void subscribe(RedisURI sentinel) {
    client.connectPubSubAsync(StringCodec.UTF8, sentinel).whenComplete((pubSub, error) -> {
      if (error != null) {
        LOG.log(System.Logger.Level.DEBUG, "Redis store cannot follow the failovers that the"
            + " sentinel " + sentinel.getHost() + ":" + sentinel.getPort() + " announces yet"
            + " uri=" + maskedUri + " error=\"" + Breaker.describe(error) + "\"");
        if (!closed) {
          timer.newTimeout(retry -> subscribe(sentinel), RESUBSCRIBE_MILLIS,
              TimeUnit.MILLISECONDS);
        }
        return;
      }
      if (closed) {
        pubSub.closeAsync();
        return;
      }
      subscriptions.add(pubSub);
      pubSub.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String channel, String message) {
          announce(masterName, channel, message, onSwitch);
        }
      });
      pubSub.async().subscribe(SWITCH_MASTER);
    });
  }

  /**
   * Reports a {@code +switch-master} message for {@code masterName}, which reads
   * {@code <master name> <old host> <old port> <new host> <new port>}.
   */
  private static void announce(
      String masterName, String channel, String message, Runnable onSwitch) {
    if (SWITCH_MASTER.equals(channel) && message.startsWith(masterName + " ")
        && message.split(" ").length == 5) {
      onSwitch.run();
    }
  }

  /** Closes the subscriptions, and waits for them, so that none outlives the store. */
  @Override
  public void close() {
    closed = true;
    subscriptions.forEach(StatefulRedisPubSubConnection::close);
  }
}
