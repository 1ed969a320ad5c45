package dev.sluice.redis;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for a Redis Sentinel on 127.0.0.1 that the test controls. It names the master
 * and delays lookups as the test sets, and publishes {@code +switch-master} on request. It
 * speaks just enough RESP2 for Lettuce's master lookup and its subscriptions, so that a test
 * can order a slow lookup and a quick failback in a way real sentinels do only by chance.
 */
final class FakeSentinel implements AutoCloseable {

  private final ServerSocket server;
  private final List<OutputStream> subscribers = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile int masterPort;
  private volatile long lookupDelayMillis;

  private FakeSentinel(ServerSocket server, int masterPort) {
    this.server = server;
    this.masterPort = masterPort;
  }

  /** Starts a sentinel that names the master on {@code masterPort} of 127.0.0.1. */
  static FakeSentinel start(int masterPort) throws IOException {
    return start(masterPort, 0);
  }

  /** Starts a sentinel on {@code port}, or on a free port for 0. */
  static FakeSentinel start(int masterPort, int port) throws IOException {
    FakeSentinel sentinel = new FakeSentinel(
        new ServerSocket(port, 50, InetAddress.getLoopbackAddress()), masterPort);
    Thread acceptor = new Thread(sentinel::accept, "fake-sentinel");
    acceptor.setDaemon(true);
    acceptor.start();
    return sentinel;
  }

  int port() {
    return server.getLocalPort();
  }

  /** Makes later lookups name the master on {@code port}, each after {@code delayMillis}. */
  void nameMaster(int port, long delayMillis) {
    this.masterPort = port;
    this.lookupDelayMillis = delayMillis;
  }

  /** Publishes {@code +switch-master} for {@code mymaster}, from one port to another. */
  void announce(int oldPort, int newPort) throws IOException {
    byte[] message = array("message", "+switch-master",
        SentinelGroup.MASTER_NAME + " 127.0.0.1 " + oldPort + " 127.0.0.1 " + newPort);
    for (OutputStream subscriber : subscribers) {
      synchronized (subscriber) {
        subscriber.write(message);
        subscriber.flush();
      }
    }
  }

  /** Returns the number of connections subscribed to announcements. */
  int subscribers() {
    return subscribers.size();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        sockets.add(socket);
        Thread connection = new Thread(() -> serve(socket), "fake-sentinel-connection");
        connection.setDaemon(true);
        connection.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      for (List<String> command = read(in); command != null; command = read(in)) {
        byte[] reply = reply(command, out);
        synchronized (out) {
          out.write(reply);
          out.flush();
        }
      }
    } catch (IOException | InterruptedException closed) {
      // The client or the test closed the connection.
    }
  }

  private byte[] reply(List<String> command, OutputStream out) throws InterruptedException {
    String name = command.get(0).toLowerCase(Locale.ROOT);
    switch (name) {
      case "sentinel" -> {
        // The master as named when the lookup arrives, however long it takes.
        String port = Integer.toString(masterPort);
        Thread.sleep(lookupDelayMillis);
        return command.get(1).equalsIgnoreCase("get-master-addr-by-name")
            ? array("127.0.0.1", port)
            : array("name", SentinelGroup.MASTER_NAME, "ip", "127.0.0.1", "port", port,
                "flags", "master");
      }
      case "subscribe" -> {
        subscribers.add(out);
        String channel = command.get(1);
        return ascii("*3\r\n$9\r\nsubscribe\r\n$" + channel.length() + "\r\n" + channel
            + "\r\n:1\r\n");
      }
      case "ping" -> {
        return ascii("+PONG\r\n");
      }
      case "client" -> {
        return ascii("+OK\r\n");
      }
      default -> {
        // HELLO among others: Lettuce then speaks RESP2.
        return ascii("-ERR unknown command '" + name + "'\r\n");
      }
    }
  }

  /** Reads one command as an array of bulk strings, or returns null at the end. */
  private static List<String> read(InputStream in) throws IOException {
    String header = line(in);
    if (header == null) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    int count = Integer.parseInt(header.substring(1));
    for (int i = 0; i < count; i++) {
      int length = Integer.parseInt(line(in).substring(1));
      parts.add(new String(in.readNBytes(length), StandardCharsets.UTF_8));
      in.readNBytes(2);
    }
    return parts;
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder text = new StringBuilder();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        return null;
      }
      if (b != '\r') {
        text.append((char) b);
      }
    }
    return text.toString();
  }

  private static byte[] array(String... items) {
    StringBuilder text = new StringBuilder("*").append(items.length).append("\r\n");
    for (String item : items) {
      text.append('$').append(item.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
          .append(item).append("\r\n");
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }
}
