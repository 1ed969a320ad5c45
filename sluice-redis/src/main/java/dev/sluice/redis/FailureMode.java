package dev.sluice.redis;

/**
 * How a {@link RedisStore} decides while Redis fails: a timeout, a lost connection or an error
 * reply. The decision's {@link dev.sluice.Decision#source()} distinguishes such a decision from
 * a normal one.
 */
public enum FailureMode {
  /**
   * Fail closed: deny every request, with a retry after and a reset after of one probe
   * interval, the time until the store tries Redis again. No request passes that Redis would
   * have denied, at the price of denying all traffic during an outage. A request whose cost
   * exceeds what a limit can ever admit is denied with {@link dev.sluice.Decision#NEVER}, as
   * Redis would deny it.
   */
  DENY,

  /**
   * Fail open: admit every request, with remaining, reset after and delay 0. Traffic flows
   * unlimited during an outage. The default. A request whose cost exceeds what a limit can
   * ever admit is still denied with {@link dev.sluice.Decision#NEVER}, as Redis would deny it.
   */
  ALLOW,

  /**
   * Decide in an in-memory store on this instance, on each limit and burst divided by the
   * expected number of instances ({@link RedisStore.Builder#localShare(int)}), rounded up. The
   * instances together then admit about the limit, as long as the traffic is spread evenly
   * over them. The local state starts empty at the first outage, so each instance can admit up
   * to its share of the burst at once. A cost above the share's burst but within the full
   * burst is denied with a retry after of one probe interval, not {@link
   * dev.sluice.Decision#NEVER}, because Redis may admit it once it is back.
   */
  LOCAL
}
