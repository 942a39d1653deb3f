package health.vigil.adapter.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.events.DeadLetter;
import health.vigil.events.EventEnvelope;
import health.vigil.events.EventEnvelopes;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.port.EventPublisher;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The local stand-in for Event Grid: routes each published event to every matching subscription and delivers
 * it asynchronously, at least once, with exponential-backoff retries; an event that cannot be delivered in
 * time goes to a dead-letter folder as one JSON file per event and subscription. Vigil events are delivered
 * as CloudEvents 1.0; Event Grid schema events (the storage account's BlobCreated) in the subscription's
 * schema. Deliveries are in memory: events still waiting for a retry when the bus closes are dead-lettered
 * with reason {@code HostStopped}, so nothing is dropped silently. A publisher that must know when an event was
 * handled for good (the drop folders, which raise a file again after a restart until then) is told so.
 */
public final class InProcessEventBus implements EventPublisher, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(InProcessEventBus.class.getName());
    /** The dead-letter reason of an event its function refused. */
    static final String REFUSED = DeadLetter.REFUSED_BY_FUNCTION;
    /** The dead-letter reason of an event whose delivery the bus's closing cut short. */
    private static final String HOST_STOPPED = "HostStopped";

    private final List<EventBusSubscription> subscriptions;
    private final EventBusSettings settings;
    private final EventBusHandler handler;
    private final Path deadLetterFolder;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor executor;
    private final Set<Delivery> outstanding = ConcurrentHashMap.newKeySet();
    private final List<Delivery> beforeStart = new ArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private int inFlight;
    private boolean started;
    private volatile boolean closed;

    public InProcessEventBus(List<EventBusSubscription> subscriptions, EventBusSettings settings,
            EventBusHandler handler, Path deadLetterFolder, Clock clock) {
        this.subscriptions = List.copyOf(subscriptions);
        this.settings = Objects.requireNonNull(settings, "settings");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.deadLetterFolder = Objects.requireNonNull(deadLetterFolder, "deadLetterFolder");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.executor = new ScheduledThreadPoolExecutor(settings.deliveryThreads(), daemonThreads());
        // Retries still waiting when the bus closes are dead-lettered by close(), not run late.
        this.executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.executor.setRemoveOnCancelPolicy(true);
    }

    public List<EventBusSubscription> subscriptions() {
        return subscriptions;
    }

    public Path deadLetterFolder() {
        return deadLetterFolder;
    }

    /** Starts delivering, including the events published before the host was ready. */
    public void start() {
        List<Delivery> queued;
        lock.lock();
        try {
            if (started) {
                return;
            }
            started = true;
            queued = new ArrayList<>(beforeStart);
            beforeStart.clear();
        } finally {
            lock.unlock();
        }
        queued.forEach(d -> submit(d, Duration.ZERO));
    }

    /** Publishes a Vigil event; each matching subscription receives it as a CloudEvents 1.0 JSON object. */
    @Override
    public void publish(VigilEvent event) {
        Objects.requireNonNull(event, "event");
        if (!event.type().startsWith("Vigil.")) {
            throw new ValidationException("event type " + event.type() + " is not a Vigil event type; "
                    + "Vigil's topic carries Vigil.* events only");
        }
        ObjectNode cloudEvent = EventEnvelopes.cloudEvent(event);
        route(event.id(), event.type(), event.subject(), sub -> cloudEvent, null);
    }

    /**
     * Publishes an event in Event Grid's schema, as a system topic (the storage account) does. Subscriptions
     * with the CloudEvents schema receive it converted the way Event Grid converts it.
     */
    public void publishEventGridEvent(JsonNode event) {
        publishEventGridEvent(event, null);
    }

    /**
     * {@link #publishEventGridEvent(JsonNode)}, and runs {@code settled} once every matching subscription's delivery
     * of the event has ended for good: delivered, refused by its function, or dead-lettered after its last attempt or
     * its time to live, so that the bus will not deliver it again. It is not run for an event whose delivery the bus's
     * closing cut short (dead-lettered with reason HostStopped), nor for one left in memory by a process that died: a
     * publisher that keeps its own record of what was handled raises such an event again when it next starts. Runs on
     * a delivery thread, or on the caller's when no subscription matches.
     */
    public void publishEventGridEvent(JsonNode event, Runnable settled) {
        EventEnvelope envelope = EventEnvelopes.read(event);
        if (envelope.schema() != EventEnvelope.Schema.EVENT_GRID) {
            throw new ValidationException("publishEventGridEvent takes an Event Grid schema event; use publish for Vigil events");
        }
        ObjectNode original = (ObjectNode) event.deepCopy();
        ObjectNode converted = envelope.source() == null ? null : EventEnvelopes.toCloudEvent(envelope);
        route(envelope.id(), envelope.type(), envelope.subject(), sub -> {
            if (sub.schema() == EventBusSubscription.DeliverySchema.EVENT_GRID) {
                return original;
            }
            if (converted == null) {
                throw new ValidationException("the event has no `topic`, so it cannot be delivered as a CloudEvent to subscription "
                        + sub.name());
            }
            return converted;
        }, settled == null ? null : new Settlement(settled));
    }

    /** Waits until no delivery is queued, running or waiting for a retry; false if the timeout passed first. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (inFlight > 0) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = idle.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Deliveries queued, running or waiting for a retry. */
    public int pendingDeliveries() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the bus: deliveries already due run to the end (up to the drain timeout); those waiting for a
     * retry, and events published from now on, go to the dead-letter folder with reason HostStopped.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        executor.shutdown();
        try {
            if (!executor.awaitTermination(settings.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
                executor.awaitTermination(settings.drainTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
        List<Delivery> left;
        lock.lock();
        try {
            left = new ArrayList<>(outstanding);
            left.addAll(beforeStart);
            beforeStart.clear();
        } finally {
            lock.unlock();
        }
        left.forEach(d -> deadLetter(d, HOST_STOPPED));
    }

    private void route(String id, String type, String subject,
            java.util.function.Function<EventBusSubscription, JsonNode> body, Settlement settlement) {
        Instant now = clock.instant();
        for (EventBusSubscription sub : subscriptions) {
            if (sub.matches(type, subject)) {
                Delivery delivery = new Delivery(sub, id, type, body.apply(sub).toString(), now, settlement);
                if (settlement != null) {
                    settlement.add();
                }
                lock.lock();
                try {
                    inFlight++;
                    outstanding.add(delivery);
                    if (!started && !closed) {
                        beforeStart.add(delivery);
                        continue;
                    }
                } finally {
                    lock.unlock();
                }
                submit(delivery, Duration.ZERO);
            }
        }
        if (settlement != null) {
            settlement.routed();
        }
    }

    private void submit(Delivery delivery, Duration delay) {
        if (closed) {
            deadLetter(delivery, HOST_STOPPED);
            return;
        }
        try {
            executor.schedule(() -> attempt(delivery), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            deadLetter(delivery, HOST_STOPPED);
        }
    }

    private void attempt(Delivery delivery) {
        if (delivery.finished.get()) {
            return;
        }
        int attempt = delivery.attempts.incrementAndGet();
        delivery.lastAttemptAt = clock.instant();
        try {
            handler.deliver(delivery.subscription.function(), delivery.json);
            finish(delivery);
            return;
        } catch (VirtualMachineError fatal) {
            throw fatal;
        } catch (Throwable failure) {
            Throwable cause = failure instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : failure;
            delivery.lastErrorCode = cause instanceof VigilException ve ? ve.code().name() : "INTERNAL";
            delivery.lastErrorType = cause.getClass().getSimpleName();
            if (cause instanceof VigilException ve && ve.code().isFinalRefusal()) {
                // As Event Grid treats a webhook's 400, 401, 403 or 413: the event as sent can never be handled, so
                // it is dead-lettered at once rather than tried nine more times over minutes.
                LOG.log(Level.INFO, () -> "event " + delivery.eventId + " (" + delivery.eventType + ") was refused by"
                        + " function " + delivery.subscription.function() + " with " + delivery.lastErrorCode
                        + "; not delivered again");
                deadLetter(delivery, REFUSED);
                return;
            }
        }
        if (attempt >= settings.maxDeliveryAttempts()) {
            log(delivery, attempt, "giving up after the last allowed attempt");
            deadLetter(delivery, "MaxDeliveryAttemptsExceeded");
            return;
        }
        Duration delay = settings.retryDelay(attempt);
        Instant next = clock.instant().plus(delay);
        if (next.isAfter(delivery.publishedAt.plus(settings.eventTimeToLive()))) {
            log(delivery, attempt, "the event's time to live ends before the next attempt");
            deadLetter(delivery, "TimeToLiveExceeded");
            return;
        }
        log(delivery, attempt, "retrying in " + delay.toMillis() + " ms");
        submit(delivery, delay);
    }

    private void log(Delivery d, int attempt, String outcome) {
        // Event ids and types only: the event's data stays out of logs.
        LOG.log(Level.WARNING, () -> "delivery of event " + d.eventId + " (" + d.eventType + ") to function "
                + d.subscription.function() + " failed on attempt " + attempt + " of " + settings.maxDeliveryAttempts()
                + " with " + d.lastErrorCode + " (" + d.lastErrorType + "); " + outcome);
    }

    private void deadLetter(Delivery delivery, String reason) {
        if (!delivery.finished.compareAndSet(false, true)) {
            return;
        }
        try {
            ObjectNode record = new DeadLetter(reason, delivery.subscription.name(), delivery.subscription.function(),
                    delivery.attempts.get(), delivery.lastErrorCode, delivery.lastErrorType, delivery.publishedAt,
                    delivery.lastAttemptAt, Json.mapper().readTree(delivery.json)).toJson();
            writeDeadLetter(fileName(delivery), record);
            LOG.warning(() -> "event " + delivery.eventId + " (" + delivery.eventType + ") for function "
                    + delivery.subscription.function() + " was dead-lettered: " + reason);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.SEVERE, "event " + delivery.eventId + " could not be written to the dead-letter folder ("
                    + e.getClass().getSimpleName() + "); it is lost", e);
        } finally {
            // Told before the delivery stops counting, so that an idle bus has no callback left to run.
            if (delivery.settlement != null) {
                delivery.settlement.ended(!reason.equals(HOST_STOPPED));
            }
            release(delivery);
        }
    }

    private void writeDeadLetter(String fileName, ObjectNode record) throws IOException {
        OwnerOnlyFiles.createFolders(deadLetterFolder);
        Path target = deadLetterFolder.resolve(fileName);
        Path temp = OwnerOnlyFiles.createTempFile(deadLetterFolder, ".deadletter-", ".tmp");
        try {
            Files.write(temp, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(record)
                    .getBytes(StandardCharsets.UTF_8));
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** One file per event and subscription, named by both ({@link DeadLetter#namePart}). */
    static String fileName(String subscription, String eventId) {
        String name = DeadLetter.plain(subscription);
        return name.substring(0, Math.min(64, name.length())) + "-" + DeadLetter.namePart(eventId) + ".json";
    }

    private static String fileName(Delivery d) {
        return fileName(d.subscription.name(), d.eventId);
    }

    private void finish(Delivery delivery) {
        if (delivery.finished.compareAndSet(false, true)) {
            if (delivery.settlement != null) {
                delivery.settlement.ended(true);
            }
            release(delivery);
        }
    }

    private void release(Delivery delivery) {
        lock.lock();
        try {
            if (outstanding.remove(delivery)) {
                inFlight--;
                if (inFlight == 0) {
                    idle.signalAll();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "vigil-event-bus-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** One event on its way to one subscription. */
    private static final class Delivery {
        final EventBusSubscription subscription;
        final String eventId;
        final String eventType;
        final String json;
        final Instant publishedAt;
        /** Told when this delivery ends; null when the publisher did not ask. */
        final Settlement settlement;
        final AtomicInteger attempts = new AtomicInteger();
        final AtomicBoolean finished = new AtomicBoolean();
        volatile Instant lastAttemptAt;
        volatile String lastErrorCode;
        volatile String lastErrorType;

        Delivery(EventBusSubscription subscription, String eventId, String eventType, String json, Instant publishedAt,
                Settlement settlement) {
            this.subscription = subscription;
            this.eventId = eventId;
            this.eventType = eventType;
            this.json = json;
            this.publishedAt = publishedAt;
            this.settlement = settlement;
        }
    }

    /**
     * The deliveries of one published event, counted down as each ends: the publisher's callback runs when the last
     * has ended, unless one was cut short by the bus closing. The count starts at one for the routing itself, so that a
     * delivery ending before the next subscription is routed does not run it early.
     */
    private static final class Settlement {
        private final Runnable settled;
        private final AtomicInteger open = new AtomicInteger(1);
        private final AtomicBoolean cutShort = new AtomicBoolean();

        Settlement(Runnable settled) {
            this.settled = settled;
        }

        void add() {
            open.incrementAndGet();
        }

        void routed() {
            ended(true);
        }

        /** One delivery (or the routing) ended; {@code forGood} false when the bus's closing cut it short. */
        void ended(boolean forGood) {
            if (!forGood) {
                cutShort.set(true);
            }
            if (open.decrementAndGet() == 0 && !cutShort.get()) {
                try {
                    settled.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "the publisher's callback for a settled event failed ("
                            + e.getClass().getSimpleName() + ")");
                }
            }
        }
    }

}
