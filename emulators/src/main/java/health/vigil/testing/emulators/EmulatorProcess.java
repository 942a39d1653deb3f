package health.vigil.testing.emulators;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One emulator running as a child process: started, waited for until it prints the line that gives its port,
 * and stopped by PID — SIGTERM, then SIGKILL if it has not exited within a few seconds (Azurite has been seen to
 * stop listening on SIGTERM without exiting). A shutdown hook stops it if the JVM exits first.
 */
final class EmulatorProcess implements AutoCloseable {
    private static final Duration GRACE = Duration.ofSeconds(5);

    private final String name;
    private final Process process;
    private final Path log;
    private final int port;
    private final Thread shutdownHook;

    private EmulatorProcess(String name, Process process, Path log, int port, Thread shutdownHook) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.port = port;
        this.shutdownHook = shutdownHook;
    }

    /**
     * Starts {@code command} in {@code dir} and waits until a line of its output matches {@code ready}, whose
     * first group is the port it listens on. Output goes to {@code log}.
     */
    static EmulatorProcess start(String name, List<String> command, Path dir, Path log, Pattern ready, Duration timeout) {
        Process process;
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + command.get(0) + ")", e);
        }
        Thread hook = new Thread(() -> stop(process), "stop-" + name);
        Runtime.getRuntime().addShutdownHook(hook);
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Deque<String> lastLines = new ArrayDeque<>();
        Thread reader = new Thread(() -> pump(process, log, ready, port, lastLines), name + "-output");
        reader.setDaemon(true);
        reader.start();
        try {
            int p = port.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new EmulatorProcess(name, process, log, p, hook);
        } catch (TimeoutException | ExecutionException e) {
            stop(process);
            removeHook(hook);
            String why = e instanceof TimeoutException ? "did not report its port within " + timeout.toSeconds() + " s"
                    : "exited before it was ready";
            throw new IllegalStateException(name + " " + why + "; its last output:\n" + recent(lastLines), e);
        } catch (InterruptedException e) {
            stop(process);
            removeHook(hook);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + name + " started", e);
        }
    }

    private static void pump(Process process, Path log, Pattern ready, CompletableFuture<Integer> port,
            Deque<String> lastLines) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                out.write(line);
                out.write('\n');
                out.flush();
                synchronized (lastLines) {
                    lastLines.addLast(line);
                    if (lastLines.size() > 30) {
                        lastLines.removeFirst();
                    }
                }
                Matcher m = ready.matcher(line);
                if (!port.isDone() && m.find()) {
                    port.complete(Integer.parseInt(m.group(1)));
                }
            }
        } catch (IOException e) {
            // The process went away; the future below reports it.
        }
        port.completeExceptionally(new IllegalStateException("output ended"));
    }

    private static String recent(Deque<String> lastLines) {
        synchronized (lastLines) {
            return String.join("\n", lastLines);
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    String name() {
        return name;
    }

    @Override
    public void close() {
        stop(process);
        removeHook(shutdownHook);
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // The hook is running or about to: nothing to remove.
        }
    }

    /** Closes stdin (the scripts exit on it), then SIGTERM, then SIGKILL; children go the same way. */
    private static void stop(Process process) {
        List<ProcessHandle> children = process.descendants().toList();
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // Already closed.
        }
        process.destroy();
        if (!waitFor(process.toHandle(), GRACE)) {
            process.destroyForcibly();
            waitFor(process.toHandle(), GRACE);
        }
        for (ProcessHandle child : children) {
            if (child.isAlive()) {
                child.destroyForcibly();
            }
        }
    }

    private static boolean waitFor(ProcessHandle handle, Duration timeout) {
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }
}
