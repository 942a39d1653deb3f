package health.vigil.canary;

import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.port.RegistryStore;
import health.vigil.registry.ModelRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The controller's event triggers: on a ramp event ({@code Vigil.Canary.Started}, {@code .Stepped}) or a resume, the
 * model is ticked at once and a wake-up is set for the moment the running step's bake time is over, so a step is
 * judged when it is due rather than at the next minute; each wake-up ticks and sets the next (an extended or new
 * step). The wake-ups live in this process only: if it goes away, the minute timer ({@link CanaryService#tick()})
 * still judges every due step. A wake-up is an ordinary tick, so a wake-up, the timer and another instance's wake-up
 * deciding from the same revision cannot both write it (the deployment's etag), and none steps twice.
 */
public final class CanaryWakeups implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CanaryWakeups.class.getName());
    /** A little past the judge time, so a wake-up never finds the step a hair too early. */
    static final Duration SLACK = Duration.ofMillis(50);

    private final CanaryService canaries;
    private final RegistryStore store;
    private final ModelRegistry registry;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final Map<ModelName, Wakeup> pending = new ConcurrentHashMap<>();

    private record Wakeup(Instant at, ScheduledFuture<?> future) {}

    public CanaryWakeups(CanaryService canaries, RegistryStore store, Clock clock) {
        this.canaries = Objects.requireNonNull(canaries, "canaries");
        this.store = Objects.requireNonNull(store, "store");
        this.registry = new ModelRegistry(store);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vigil-canary-wakeups");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A ramp event of {@code model} (the event {@code eventId} of its deployment's {@code revision}): ticks it now and
     * sets a wake-up for its running step; the tick's change. The event is out, so the tick does not publish it again
     * ({@link CanaryService#delivered}). A model that is not registered is MODEL_NOT_FOUND, as for every other handler
     * of a model's events; a registered one without a deployment or a canary has nothing to tick.
     */
    public Optional<Deployment> onRampEvent(ModelName model, long revision, String eventId) {
        if (registry.deployment(model).isEmpty()) {
            registry.listVersions(model);
        }
        canaries.delivered(model, revision, eventId);
        Optional<Deployment> changed = canaries.tick(model);
        arm(model);
        return changed;
    }

    /** Sets (or moves) the model's wake-up to the moment its running step is due; none when no step is running. */
    public void arm(ModelName model) {
        Optional<Instant> due = store.findDeployment(model).map(Deployment::canary)
                .filter(r -> r.status() == CanaryStatus.RUNNING).map(CanaryRamp::judgeAt);
        pending.compute(model, (m, current) -> {
            if (due.isEmpty()) {
                if (current != null) {
                    current.future().cancel(false);
                }
                return null;
            }
            if (current != null && current.at().equals(due.get()) && !current.future().isDone()) {
                return current;
            }
            if (current != null) {
                current.future().cancel(false);
            }
            long delay = Math.max(0, Duration.between(clock.instant(), due.get()).plus(SLACK).toMillis());
            return new Wakeup(due.get(), scheduler.schedule(() -> wake(model), delay, TimeUnit.MILLISECONDS));
        });
    }

    private void wake(ModelName model) {
        try {
            canaries.tick(model);
            arm(model);
        } catch (RuntimeException e) {
            // The minute timer judges the step instead; the message names the model and store, never a patient.
            LOG.log(Level.WARNING, "the canary wake-up of " + model + " failed; the minute timer takes over: "
                    + e.getMessage());
        }
    }

    /** Models with a wake-up set (for health views and tests). */
    public int pendingCount() {
        pending.values().removeIf(w -> w.future().isDone());
        return pending.size();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
