package dev.sluice;

import dev.sluice.internal.Printable;
import java.util.Locale;

/**
 * What a leaky bucket does with a request it admits while water is still ahead of it.
 *
 * <p>Both modes admit exactly the same requests; they differ only in the delay they report.
 */
public enum Mode {
  /** Admit at once: the bucket is a meter and only decides allow or deny. */
  POLICE,
  /**
   * Admit, and tell the caller to wait until the water ahead of the request has leaked
   * ({@code level · period / limit}), so that admitted requests leave at the leak rate.
   */
  SHAPE;

  /** The lower-case name used in config files and on the command line. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code police} or {@code shape}.
   *
   * @throws IllegalArgumentException naming the bad value
   */
  public static Mode fromConfigName(String name) {
    for (Mode mode : values()) {
      if (mode.configName().equals(name)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "unknown mode '" + Printable.escape(name) + "', expected police or shape");
  }

  @Override
  public String toString() {
    return configName();
  }
}
