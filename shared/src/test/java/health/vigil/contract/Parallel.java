package health.vigil.contract;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one task on many threads released at the same instant, so their store calls really overlap. */
public final class Parallel {
    /** Long enough for a slow CI machine; only there so a deadlock fails the test instead of hanging it. */
    private static final long DEADLOCK_GUARD_SECONDS = 120;

    @FunctionalInterface
    public interface Task<T> {
        T run(int thread) throws Exception;
    }

    private Parallel() {}

    /** The results in thread order; the first failure of any thread is rethrown. */
    public static <T> List<T> run(int threads, Task<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int thread = i;
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return task.run(thread);
                }));
            }
            ready.await();
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    results.add(f.get(DEADLOCK_GUARD_SECONDS, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Exception cause) {
                        throw cause;
                    }
                    throw e;
                } catch (TimeoutException e) {
                    throw new AssertionError("a thread did not finish: deadlock or lost wake-up", e);
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
