package health.vigil.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.json.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Runs TimerTrigger functions on their NCRONTAB schedules (in UTC, the Functions host's default), handing
 * each invocation the timer information JSON the Functions host passes ({@code Schedule},
 * {@code ScheduleStatus}, {@code IsPastDue}). A function's next run is planned only after its current one
 * ends, however it ends (an Error such as a StackOverflowError included), so runs of one timer never overlap, as with
 * the host's singleton lock, and a timer whose run failed fires again at its next occurrence. Functions named in
 * {@code runOnStartup} also run once when the host starts (the Java annotation has no such attribute; in
 * Azure it is a function.json setting, so locally it is a host option).
 */
final class TimerScheduler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TimerScheduler.class.getName());
    /** A run that starts more than this after its scheduled time reports IsPastDue, as a missed occurrence would. */
    private static final Duration PAST_DUE = Duration.ofSeconds(1);
    /** How long closing waits for a run under way, as the queue workers are waited for. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final List<FunctionDefinition> timers;
    private final FunctionInvoker invoker;
    private final Set<String> runOnStartup;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor executor;
    private volatile boolean closed;

    TimerScheduler(List<FunctionDefinition> timers, FunctionInvoker invoker, Set<String> runOnStartup, Clock clock) {
        this.timers = List.copyOf(timers);
        this.invoker = invoker;
        this.runOnStartup = Set.copyOf(runOnStartup);
        this.clock = clock;
        AtomicInteger count = new AtomicInteger();
        this.executor = new ScheduledThreadPoolExecutor(2, r -> {
            Thread t = new Thread(r, "vigil-timer-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.executor.setRemoveOnCancelPolicy(true);
        this.executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    void start() {
        for (FunctionDefinition f : timers) {
            Instant now = clock.instant();
            if (runOnStartup.stream().anyMatch(n -> n.equalsIgnoreCase(f.name()))) {
                executor.execute(() -> {
                    try {
                        run(f, null, null);
                    } finally {
                        planNext(f, clock.instant(), now);
                    }
                });
            } else {
                planNext(f, now, null);
            }
        }
    }

    private void planNext(FunctionDefinition f, Instant after, Instant last) {
        if (closed) {
            return;
        }
        FunctionDefinition.Timer timer = (FunctionDefinition.Timer) f.trigger();
        Optional<Instant> next = timer.parsed().next(after, ZoneOffset.UTC);
        if (next.isEmpty()) {
            LOG.warning(() -> "timer " + f.name() + " has no further occurrence of \"" + timer.schedule() + "\"");
            return;
        }
        schedule(f, next.get(), last);
    }

    private void schedule(FunctionDefinition f, Instant due, Instant last) {
        long delay = Math.max(0, Duration.between(clock.instant(), due).toNanos());
        try {
            executor.schedule(() -> fire(f, due, last), delay, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void fire(FunctionDefinition f, Instant due, Instant last) {
        if (closed) {
            return;
        }
        if (clock.instant().isBefore(due)) {
            // The executor's clock and the wall clock can disagree by a little: never run early.
            schedule(f, due, last);
            return;
        }
        try {
            run(f, due, last);
        } finally {
            // Plan from the later of the due time and now, so a long run skips missed occurrences instead of piling up.
            // Planned whatever the run threw: a timer that is not planned never fires again, and says nothing.
            Instant now = clock.instant();
            planNext(f, now.isAfter(due) ? now : due, due);
        }
    }

    private void run(FunctionDefinition f, Instant due, Instant last) {
        Instant started = clock.instant();
        FunctionDefinition.Timer timer = (FunctionDefinition.Timer) f.trigger();
        ObjectNode info = Json.mapper().createObjectNode();
        info.putObject("Schedule").put("AdjustForDST", false);
        ObjectNode status = info.putObject("ScheduleStatus");
        status.put("Last", last == null ? null : last.toString());
        status.put("Next", timer.parsed().next(due == null ? started : due, ZoneOffset.UTC).map(Instant::toString).orElse(null));
        status.put("LastUpdated", started.toString());
        info.put("IsPastDue", due != null && Duration.between(due, started).compareTo(PAST_DUE) > 0);
        String invocationId = UUID.randomUUID().toString();
        try {
            invoker.invoke(f, FunctionInvoker.Input.payload(info.toString()), LocalExecutionContext.of(invocationId, f.name()));
        } catch (FunctionInvoker.FunctionFailure failure) {
            HttpFunctionHandler.logFailure(f, invocationId, failure.getCause());
        } catch (RuntimeException e) {
            HttpFunctionHandler.logFailure(f, invocationId, e);
        } catch (VirtualMachineError fatal) {
            // Logged, then thrown on: the caller still plans the next run, in its finally.
            HttpFunctionHandler.logFailure(f, invocationId, fatal);
            throw fatal;
        }
    }

    /**
     * Stops the timers: no run starts from now on, and a run under way is waited for, up to {@link #CLOSE_WAIT}, but
     * not interrupted, as an interrupt closes the file channels the function writes through (a journal, a database).
     * A run still going after the wait is left to end on its own daemon thread.
     */
    @Override
    public void close() {
        closed = true;
        executor.shutdown();
        try {
            if (!executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warning(() -> "a timer function was still running " + CLOSE_WAIT.toSeconds() + " s after the timers"
                        + " were told to stop; it is left to finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
