package health.vigil.functions.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the test functions saw, per function name. Tests hand one recorder to the function classes through
 * their FunctionInstanceInjector, so nothing here is static.
 */
public final class TestRecorder {
    private final Map<String, List<String>> calls = new HashMap<>();
    private final Map<String, Integer> attempts = new HashMap<>();

    public synchronized void record(String function, String payload) {
        calls.computeIfAbsent(function, k -> new ArrayList<>()).add(payload);
        notifyAll();
    }

    /** Counts an attempt under a key (e.g. function + event id) and returns the attempt number, from 1. */
    public synchronized int attempt(String key) {
        return attempts.merge(key, 1, Integer::sum);
    }

    public synchronized List<String> calls(String function) {
        return List.copyOf(calls.getOrDefault(function, List.of()));
    }

    /** Waits until the function was called at least {@code count} times; returns the calls seen (maybe fewer on timeout). */
    public synchronized List<String> await(String function, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (calls.getOrDefault(function, List.of()).size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return calls(function);
    }
}
