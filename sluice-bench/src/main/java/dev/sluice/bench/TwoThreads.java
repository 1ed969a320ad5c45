package dev.sluice.bench;

import org.openjdk.jmh.annotations.Threads;

/** {@link TryAcquireBenchmark} on two threads deciding at the same time. */
@Threads(2)
public class TwoThreads extends TryAcquireBenchmark {}
