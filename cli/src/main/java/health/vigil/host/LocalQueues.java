package health.vigil.host;

import health.vigil.adapter.local.OwnerOnlyFiles;
import health.vigil.port.WorkQueue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The local host's queues, with the Storage queue semantics the queue-triggered functions rely on: each message
 * is a file under {@code queues/{queue}/} until its function returns, so a message whose invocation was cut short
 * by a crash is delivered again when the host next starts; a failed invocation is retried with backoff, and after
 * {@value #MAX_DEQUEUE} attempts the message moves to {@code queues/{queue}-poison/}, as the Functions host does.
 * A message id names a file, so sending the same work item twice while it waits adds nothing. Messages are handled
 * by a small pool of workers, in parallel, like the instances a Function App scales to.
 */
final class LocalQueues implements WorkQueue, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LocalQueues.class.getName());
    static final int MAX_DEQUEUE = 5;
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

    /** Delivers one message to the function listening on its queue; throws when the invocation failed. */
    interface Delivery {
        void deliver(String queue, String message) throws Exception;
    }

    private final Path root;
    private final int workers;
    private final BlockingQueue<Path> ready = new LinkedBlockingQueue<>();
    private final Set<Path> pending = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    private volatile Delivery delivery;
    private volatile Set<String> listened = Set.of();
    private volatile boolean closed;

    private final long backoffMillis;

    LocalQueues(Path root, int workers) {
        this(root, workers, 250);
    }

    /** @param backoffMillis the first retry's wait, doubled for each later one (at most 10 s) */
    LocalQueues(Path root, int workers, long backoffMillis) {
        this.root = root;
        this.workers = workers;
        this.backoffMillis = backoffMillis;
    }

    /** Starts the workers, first queueing every message left from an earlier run. */
    void start(Delivery delivery, Set<String> queues) throws IOException {
        this.delivery = delivery;
        this.listened = Set.copyOf(queues);
        OwnerOnlyFiles.createFolders(root);
        for (String queue : queues) {
            Path folder = OwnerOnlyFiles.createFolders(root.resolve(queue));
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.msg")) {
                for (Path file : files) {
                    enqueue(file);
                }
            }
        }
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(this::work, "vigil-queue-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    @Override
    public void send(String queue, String messageId, String message) {
        if (!SAFE_ID.matcher(messageId).matches() || !SAFE_ID.matcher(queue).matches()) {
            throw new IllegalArgumentException("queue names and message ids are letters, digits, '.', '_' and '-'");
        }
        try {
            Path folder = OwnerOnlyFiles.createFolders(root.resolve(queue));
            Path file = folder.resolve(messageId + ".msg");
            if (Files.exists(file)) {
                return;
            }
            Path staged = OwnerOnlyFiles.createTempFile(folder, ".staged-", ".tmp");
            try {
                Files.writeString(staged, message, StandardCharsets.UTF_8);
                Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                return; // the same message was queued meanwhile
            } finally {
                // Gone once moved; left by a write or move that failed, and removed so that none piles up.
                Files.deleteIfExists(staged);
            }
            enqueue(file);
        } catch (IOException e) {
            throw new UncheckedIOException("could not queue a message on " + queue + " under " + root, e);
        }
    }

    private void enqueue(Path file) {
        if (pending.add(file)) {
            ready.add(file);
        }
    }

    private void work() {
        while (!closed) {
            Path file;
            try {
                file = ready.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            Delivery current = delivery;
            if (file == null || current == null) {
                continue;
            }
            String queue = file.getParent().getFileName().toString();
            try {
                String message = Files.readString(file, StandardCharsets.UTF_8);
                deliverWithRetries(current, queue, message, file);
            } catch (IOException e) {
                LOG.warning(() -> "could not read a queued message of " + queue + ": " + e.getClass().getSimpleName());
            } finally {
                pending.remove(file);
            }
        }
    }

    private void deliverWithRetries(Delivery current, String queue, String message, Path file) throws IOException {
        for (int attempt = 1; attempt <= MAX_DEQUEUE && !closed; attempt++) {
            try {
                current.deliver(queue, message);
                Files.deleteIfExists(file);
                return;
            } catch (Exception | VirtualMachineError e) {
                // An Error (a StackOverflowError of a message that recurses too deep) is a failed attempt too: thrown
                // on, it would end this worker for good, and with the last one every queue would stop, saying nothing.
                int tried = attempt;
                LOG.log(Level.WARNING, "a message of queue " + queue + " failed (attempt " + tried + " of "
                        + MAX_DEQUEUE + "): " + e.getClass().getSimpleName());
                try {
                    Thread.sleep(Math.min(10_000L, backoffMillis << attempt));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        if (!closed) {
            Path poison = OwnerOnlyFiles.createFolders(root.resolve(queue + "-poison"));
            Path moved = Files.move(file, poison.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            LOG.warning(() -> "a message of queue " + queue + " failed " + MAX_DEQUEUE + " times and was moved to "
                    + poison);
            // As the Functions host does: a function listening on the poison queue gets the message.
            if (listened.contains(queue + "-poison")) {
                enqueue(moved);
            }
        }
    }

    /** Stops the workers; a message being handled stays on disk and is delivered again on the next start. */
    @Override
    public void close() {
        closed = true;
        // Not interrupted: an interrupt would close the file channels a running invocation writes through.
        for (Thread t : threads) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
