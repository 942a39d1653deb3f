package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.security.Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeadLettersViewTest {

    @Test
    void aDeadLetteredEventIsCountedInWordsAndItsLastAttemptReadsToTheSecondInUtc(@TempDir Path folder)
            throws Exception {
        // As the local event bus writes it: its instants to the nanosecond.
        Files.writeString(folder.resolve("event-1.json"), """
                {"deadLetterReason": "MaxDeliveryAttemptsExceeded", "function": "onModelRegistered",
                 "deliveryAttempts": 3, "lastErrorCode": "500", "lastErrorType": "INTERNAL",
                 "publishTime": "2026-12-05T22:11:35.052805042Z",
                 "lastDeliveryAttemptTime": "2026-12-05T22:11:38.106189553Z",
                 "event": {"eventType": "Vigil.ModelRegistered", "subject": "/models/readmission/versions/1"}}
                """);

        String body = new DeadLettersView(folder).render(new PageRequest(new Principal("operator", "Olu", Set.of()),
                Map.of(), Map.of())).body();

        assertThat(body).contains(">1 dead-lettered event</caption>")
                .contains("<td role=\"cell\" data-label=\"Last attempt\">2026-12-05 22:11:38 UTC</td>")
                .doesNotContain("22:11:38.106189553Z");
    }
}
