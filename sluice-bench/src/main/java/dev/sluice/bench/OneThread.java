package dev.sluice.bench;

import org.openjdk.jmh.annotations.Threads;

/** {@link TryAcquireBenchmark} on one thread. */
@Threads(1)
public class OneThread extends TryAcquireBenchmark {}
