package health.vigil.adapter.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Stops ONNX Runtime runs that outlast their budget. Each thread that runs a model under a budget keeps one set of
 * run options, its {@link Slot}: a run arms its thread's slot with a deadline and disarms it when ONNX Runtime
 * returns. One daemon thread sleeps until the earliest armed deadline, or for a second when none is sooner, and tells
 * ONNX Runtime to terminate the runs whose deadline has passed. A run pays a clock read and two uncontended locks, and
 * the watchdog wakes about once a second whatever the traffic: cheap enough for every scoring call.
 */
final class RunWatch {
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Set<Slot> SLOTS = ConcurrentHashMap.newKeySet();
    private static final ThreadLocal<Slot> SLOT = new ThreadLocal<>();
    /** When the watchdog means to look next (System.nanoTime); a deadline before it wakes the watchdog. */
    private static volatile long plannedWake = System.nanoTime() + IDLE_NANOS;
    private static final Thread WATCHDOG = startWatchdog();

    private RunWatch() {}

    /** Arms the calling thread's slot for one run of at most {@code budget}; disarm it when the run returns. */
    static Slot arm(Duration budget) {
        Slot slot = SLOT.get();
        if (slot == null) {
            slot = new Slot(Thread.currentThread());
            SLOT.set(slot);
            SLOTS.add(slot);
        }
        long deadline = System.nanoTime() + Math.max(0, budget.toNanos());
        slot.arm(deadline);
        if (deadline - plannedWake < 0) {
            LockSupport.unpark(WATCHDOG);
        }
        return slot;
    }

    /** The run options of one thread, and whether its current run has a deadline and was told to stop. */
    static final class Slot {
        private final Thread owner;
        private final OrtSession.RunOptions options;
        private long deadline;
        private boolean armed;
        private boolean stopped;
        private boolean closed;

        private Slot(Thread owner) {
            this.owner = owner;
            try {
                this.options = new OrtSession.RunOptions();
            } catch (OrtException e) {
                throw new VigilException(ErrorCode.RUNTIME_FAILURE, "ONNX Runtime could not create run options ("
                        + e.getCode() + ")", e);
            }
        }

        OrtSession.RunOptions options() {
            return options;
        }

        private synchronized void arm(long deadline) {
            this.deadline = deadline;
            this.armed = true;
        }

        /**
         * Ends the run's watch: true when the watchdog told ONNX Runtime to stop it. The options are ready for the
         * thread's next run either way.
         */
        synchronized boolean disarm() {
            armed = false;
            if (!stopped) {
                return false;
            }
            stopped = false;
            try {
                options.setTerminate(false);
            } catch (OrtException e) {
                // Options that cannot be reset would stop the next run at once: this thread gets new ones.
                SLOT.remove();
                SLOTS.remove(this);
                close();
            }
            return true;
        }

        /** The watchdog's look: stops a run past its deadline; the deadline still to come, or 0 for none. */
        private synchronized long look(long now) {
            if (!armed || stopped) {
                return 0;
            }
            if (deadline - now > 0) {
                return deadline;
            }
            try {
                options.setTerminate(true);
                stopped = true;
            } catch (OrtException e) {
                // The run goes on; it ends when the graph does.
            }
            return 0;
        }

        private synchronized void close() {
            if (!closed && !armed) {
                closed = true;
                options.close();
            }
        }
    }

    private static Thread startWatchdog() {
        Thread thread = new Thread(RunWatch::watch, "vigil-onnx-budget");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void watch() {
        while (true) {
            long now = System.nanoTime();
            // Said before looking: a run armed during the look with an earlier deadline wakes this thread again.
            plannedWake = now + IDLE_NANOS;
            long next = now + IDLE_NANOS;
            for (Iterator<Slot> it = SLOTS.iterator(); it.hasNext(); ) {
                Slot slot = it.next();
                if (!slot.owner.isAlive()) {
                    it.remove();
                    slot.close();
                    continue;
                }
                long deadline = slot.look(now);
                if (deadline != 0 && deadline - next < 0) {
                    next = deadline;
                }
            }
            plannedWake = next;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(RunWatch.class, wait);
            }
        }
    }
}
