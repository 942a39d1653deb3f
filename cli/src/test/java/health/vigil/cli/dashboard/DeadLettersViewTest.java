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
        String body = pageOfOneDeadLetter(folder);

        assertThat(body).contains(">1 dead-lettered event</caption>")
                .contains("<td role=\"cell\" data-label=\"Last attempt\">2026-12-05 22:11:38 UTC</td>")
                .doesNotContain("22:11:38.106189553Z");
    }

    /** The runbook is a page of the dashboard, not a path in a repository an operator of a release may not have. */
    @Test
    void theRunbookForDeadLetteredEventsIsALinkToItsPageOnTheDashboard(@TempDir Path folder) throws Exception {
        String body = pageOfOneDeadLetter(folder);

        assertThat(body).contains("follow the <a href=\"/dashboard/runbooks/dead-lettered-events\">runbook for"
                + " dead-lettered events</a>").doesNotContain("docs/runbooks", "in the repository");
    }

    /** The page's markup with one event in the folder, written as the local event bus writes it. */
    private static String pageOfOneDeadLetter(Path folder) throws Exception {
        // Its instants to the nanosecond.
        Files.writeString(folder.resolve("event-1.json"), """
                {"deadLetterReason": "MaxDeliveryAttemptsExceeded", "function": "onModelRegistered",
                 "deliveryAttempts": 3, "lastErrorCode": "500", "lastErrorType": "INTERNAL",
                 "publishTime": "2026-12-05T22:11:35.052805042Z",
                 "lastDeliveryAttemptTime": "2026-12-05T22:11:38.106189553Z",
                 "event": {"eventType": "Vigil.ModelRegistered", "subject": "/models/readmission/versions/1"}}
                """);
        return new DeadLettersView(folder).render(new PageRequest(new Principal("operator", "Olu", Set.of()),
                Map.of(), Map.of())).body();
    }
}
