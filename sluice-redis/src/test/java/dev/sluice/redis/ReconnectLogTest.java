package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.event.DefaultEventBus;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ReconnectFailedEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;

class ReconnectLogTest {

  private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 50000);
  private static final InetSocketAddress MASTER = new InetSocketAddress("127.0.0.1", 7000);
  private static final InetSocketAddress SENTINEL = new InetSocketAddress("127.0.0.1", 26379);
  private static final String NOAUTH = "NOAUTH Authentication required.";

  private final DefaultEventBus events = new DefaultEventBus(Schedulers.immediate());
  private final StoreLog log = StoreLog.open();
  private final ReconnectLog reconnectLog =
      new ReconnectLog(events, "redis-sentinel://127.0.0.1:26379/0#mymaster");

  @AfterEach
  void close() {
    reconnectLog.close();
    log.close();
  }

  private void refused(InetSocketAddress server, String reply, int attempt) {
    events.publish(new ReconnectFailedEvent(LOCAL, server,
        new RedisCommandExecutionException(reply), attempt));
  }

  private void connected(InetSocketAddress server) {
    events.publish(new ConnectionActivatedEvent(LOCAL, server));
  }

  @Test
  void sentinelConnections_betweenRefusals_logOneWarning() {
    for (int attempt = 1; attempt <= 5; attempt++) {
      connected(SENTINEL);
      refused(MASTER, NOAUTH, attempt);
    }

    assertThat(log.records(Level.WARNING)).singleElement().extracting(LogRecord::getMessage)
        .asString()
        .startsWith("Redis store cannot reconnect uri=redis-sentinel://127.0.0.1:26379/0"
            + "#mymaster server=127.0.0.1:7000 attempt=1 error=\"")
        .contains(NOAUTH);
    assertThat(log.records(Level.INFO)).isEmpty();
  }

  @Test
  void refusingServerConnects_logsRecoveryOnce() {
    refused(MASTER, NOAUTH, 1);
    connected(SENTINEL);
    connected(MASTER);
    connected(MASTER);

    assertThat(log.records(Level.INFO)).singleElement().extracting(LogRecord::getMessage)
        .asString()
        .startsWith("Redis store reconnected uri=redis-sentinel://127.0.0.1:26379/0#mymaster"
            + " server=127.0.0.1:7000 after error=\"")
        .contains(NOAUTH);
  }

  @Test
  void ipv6Server_recoveryMatchesUnresolvedRefusal() throws Exception {
    // Lettuce reports a failed attempt at the address as the URI wrote it, unresolved, and a
    // connection at the address it reached.
    events.publish(new ReconnectFailedEvent(LOCAL, InetSocketAddress.createUnresolved("[::1]",
        7000), new RedisCommandExecutionException(NOAUTH), 1));
    connected(new InetSocketAddress(InetAddress.getByName("::1"), 7000));

    assertThat(log.records(Level.WARNING)).singleElement().extracting(LogRecord::getMessage)
        .asString()
        .contains(" server=[::1]:7000 attempt=1 ");
    assertThat(log.records(Level.INFO)).singleElement().extracting(LogRecord::getMessage)
        .asString()
        .contains(" server=[0:0:0:0:0:0:0:1]:7000 after error=");
  }

  @Test
  void hostName_recoveryMatchesResolvedConnection() throws Exception {
    events.publish(new ReconnectFailedEvent(LOCAL, InetSocketAddress.createUnresolved(
        "localhost", 7000), new RedisCommandExecutionException(NOAUTH), 1));
    connected(new InetSocketAddress(InetAddress.getByAddress("localhost",
        new byte[] {127, 0, 0, 1}), 7000));

    assertThat(log.records(Level.INFO)).hasSize(1);
  }

  @Test
  void causeChanges_logsAgain() {
    refused(MASTER, NOAUTH, 1);
    refused(MASTER, NOAUTH, 2);
    refused(MASTER, "WRONGPASS invalid username-password pair", 3);
    connected(MASTER);
    refused(MASTER, NOAUTH, 1);

    assertThat(log.records(Level.WARNING)).hasSize(3);
    assertThat(log.records(Level.WARNING).get(1).getMessage()).contains("WRONGPASS");
    assertThat(log.records(Level.INFO)).hasSize(1);
  }
}
