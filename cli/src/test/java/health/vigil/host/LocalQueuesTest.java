package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local queues' retries and poison queue, as the Functions host runs them. */
class LocalQueuesTest {
    @TempDir
    Path root;

    @Test
    void aMessageThatFailsEveryAttemptGoesToThePoisonQueueAndItsListenerGetsIt() throws Exception {
        List<String> attempts = new CopyOnWriteArrayList<>();
        List<String> poisoned = new CopyOnWriteArrayList<>();
        try (LocalQueues queues = new LocalQueues(root, 1, 1)) {
            queues.start((queue, message) -> {
                if (queue.equals("work")) {
                    attempts.add(message);
                    throw new IllegalStateException("always fails");
                }
                poisoned.add(queue + ":" + message);
            }, Set.of("work", "work-poison"));

            queues.send("work", "m-1", "{\"n\":1}");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (poisoned.isEmpty() && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
        }

        assertThat(attempts).hasSize(LocalQueues.MAX_DEQUEUE);
        assertThat(poisoned).containsExactly("work-poison:{\"n\":1}");
        assertThat(root.resolve("work").resolve("m-1.msg")).doesNotExist();
        // Handled on the poison queue, the message is gone from it too.
        assertThat(Files.exists(root.resolve("work-poison").resolve("m-1.msg"))).isFalse();
    }

    @Test
    void withoutAListenerThePoisonedMessageStaysForAnOperator() throws Exception {
        List<String> attempts = new CopyOnWriteArrayList<>();
        try (LocalQueues queues = new LocalQueues(root, 1, 1)) {
            queues.start((queue, message) -> {
                attempts.add(message);
                throw new IllegalStateException("always fails");
            }, Set.of("work"));
            queues.send("work", "m-2", "{}");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!Files.exists(root.resolve("work-poison").resolve("m-2.msg")) && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
        }
        assertThat(attempts).hasSize(LocalQueues.MAX_DEQUEUE);
        assertThat(root.resolve("work-poison").resolve("m-2.msg")).exists();
    }

    @Test
    void aDeliveryThatThrowsAnErrorIsTriedAgainAndTheWorkerGoesOn() throws Exception {
        List<String> delivered = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        try (LocalQueues queues = new LocalQueues(root, 1, 1)) {
            queues.start((queue, message) -> {
                if (message.equals("{\"n\":1}") && attempts.incrementAndGet() == 1) {
                    throw new StackOverflowError(); // a function that recursed too deep, once
                }
                delivered.add(message);
            }, Set.of("work"));

            queues.send("work", "m-4", "{\"n\":1}");
            queues.send("work", "m-5", "{\"n\":2}");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (delivered.size() < 2 && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
        }

        assertThat(attempts).hasValue(2);
        assertThat(delivered).containsExactlyInAnyOrder("{\"n\":1}", "{\"n\":2}");
        assertThat(root.resolve("work").resolve("m-4.msg")).doesNotExist();
    }

    @Test
    void aMessageThatCannotBeWrittenLeavesNoStagedFileBehind() throws Exception {
        try (LocalQueues queues = new LocalQueues(root, 1, 1)) {
            // Text UTF-8 cannot encode (an unpaired surrogate): the staged file is created, then writing it fails.
            assertThatThrownBy(() -> queues.send("work", "m-3", "{\"n\":\"\ud800\"}"))
                    .isInstanceOf(java.io.UncheckedIOException.class);
        }
        try (java.util.stream.Stream<Path> left = Files.list(root.resolve("work"))) {
            assertThat(left).isEmpty();
        }
    }
}
