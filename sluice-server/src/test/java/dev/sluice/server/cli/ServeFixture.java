package dev.sluice.server.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Starts {@code sluice serve} in the test's JVM and requests decisions from it over HTTP. */
final class ServeFixture {

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10))
      .build();

  private ServeFixture() {}

  /** Starts {@code sluice serve --port 0} followed by {@code args}, as the command line would. */
  static SluiceService start(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("serve", "--port", "0"));
    all.addAll(List.of(args));
    CommandLine.ParseResult parsed = Main.commandLine().parseArgs(all.toArray(String[]::new));
    ServeCommand command = parsed.subcommand().commandSpec().commandLine().getCommand();
    return command.start();
  }

  /**
   * Writes {@code config.yaml} in {@code dir}: the given store section, then one policy
   * {@code tiny}, a fixed window of 1 per hour.
   */
  static Path tinyPolicy(Path dir, String store) throws Exception {
    Path config = dir.resolve("config.yaml");
    Files.writeString(config, store + """
        policies:
          tiny:
            limits:
              - algorithm: fixed_window
                limit: 1
                period: 1h
        """);
    return config;
  }

  /** Returns the body of the response to a check of cost 1. */
  static String check(int port, String policy, String key) throws Exception {
    return checkResponse(port, policy, key).body();
  }

  /** Returns the response to a check of cost 1, with its headers. */
  static HttpResponse<String> checkResponse(int port, String policy, String key)
      throws Exception {
    String json = "{\"policy\": \"" + policy + "\", \"key\": \"" + key + "\"}";
    HttpRequest request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/v1/check"))
        .timeout(Duration.ofSeconds(30))
        .POST(BodyPublishers.ofString(json))
        .build();
    return CLIENT.send(request, BodyHandlers.ofString());
  }
}
