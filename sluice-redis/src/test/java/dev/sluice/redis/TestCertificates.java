package dev.sluice.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway certificate authority and a server certificate it signed, by default for
 * {@code IP:127.0.0.1}, made by {@code openssl} from the {@code PATH} into a directory, for
 * tests of TLS connections. The keys are EC P-256 and the certificates valid for one day.
 *
 * <p>Public so that other modules can use it through this module's test jar.
 *
 * @param caCertificate the PEM certificate of the authority, which clients must trust
 * @param certificate the PEM certificate of the server
 * @param privateKey the PEM private key of the server, unencrypted
 */
public record TestCertificates(Path caCertificate, Path certificate, Path privateKey) {

  private static final long OPENSSL_TIMEOUT_SECONDS = 60;

  /** Creates the authority and a server certificate for 127.0.0.1 in {@code directory}. */
  public static TestCertificates create(Path directory) {
    return create(directory, "IP:127.0.0.1");
  }

  /**
   * Creates the authority and a server certificate whose subject alternative names are
   * {@code subjectAltName}, such as {@code DNS:redis.example}, in {@code directory}.
   */
  public static TestCertificates create(Path directory, String subjectAltName) {
    try {
      Path caKey = directory.resolve("ca.key");
      Path ca = directory.resolve("ca.pem");
      Path key = directory.resolve("server.key");
      Path request = directory.resolve("server.csr");
      Path certificate = directory.resolve("server.pem");
      Path extensions = directory.resolve("server.ext");
      Files.writeString(extensions, "subjectAltName=" + subjectAltName + "\n",
          StandardCharsets.UTF_8);

      openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt",
          "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", caKey.toString(), "-out",
          ca.toString(), "-days", "1", "-subj", "/CN=Sluice test CA");
      openssl(directory, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes", "-keyout", key.toString(), "-out", request.toString(), "-subj",
          "/CN=sluice-test-server");
      openssl(directory, "x509", "-req", "-in", request.toString(), "-CA", ca.toString(),
          "-CAkey", caKey.toString(), "-CAcreateserial", "-out", certificate.toString(),
          "-days", "1", "-extfile", extensions.toString());
      return new TestCertificates(ca, certificate, key);
    } catch (IOException e) {
      throw new UncheckedIOException("failed to create test certificates in " + directory, e);
    }
  }

  private static void openssl(Path directory, String... arguments) throws IOException {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(arguments));
    Process process = new ProcessBuilder(command)
        .directory(directory.toFile())
        .redirectErrorStream(true)
        .start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(OPENSSL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("openssl did not finish within " + OPENSSL_TIMEOUT_SECONDS
            + " s: " + command);
      }
      if (process.exitValue() != 0) {
        throw new IOException("openssl failed with exit code " + process.exitValue() + ": "
            + command + "\n" + output);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command, e);
    }
  }
}
