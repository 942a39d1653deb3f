package health.vigil.error;

import java.util.function.Consumer;

/**
 * The failures of one pass over independent items (every model of a timer's pass, every window of a check): one
 * item's failure keeps no other from its turn, and the pass still fails at the end, with the first failure thrown and
 * the later ones suppressed in it, so that the trigger counts it and runs again.
 */
public final class Failures {
    private RuntimeException first;

    /** Keeps {@code failure}: the first one kept, a later one suppressed in it. */
    public void add(RuntimeException failure) {
        if (first == null) {
            first = failure;
        } else {
            first.addSuppressed(failure);
        }
    }

    /** Runs {@code action}, keeping its failure rather than throwing it. */
    public void attempt(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            add(e);
        }
    }

    /** Throws the first failure kept, with the later ones suppressed in it; nothing when there was none. */
    public void throwIfAny() {
        if (first != null) {
            throw first;
        }
    }

    /** Runs {@code action} on every item, each on its own, then throws the first failure, if any. */
    public static <T> void forEach(Iterable<T> items, Consumer<T> action) {
        Failures failures = new Failures();
        for (T item : items) {
            failures.attempt(() -> action.accept(item));
        }
        failures.throwIfAny();
    }
}
