package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.security.Role;
import health.vigil.text.Words;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Events the local event bus gave up on: which function, why, after how many attempts, and the event's type and
 * subject (events carry ids only). What to do with them: the runbook for dead-lettered events, linked from the page.
 */
final class DeadLettersView extends View {
    private final Path folder;

    DeadLettersView(Path folder) {
        super("dead-letters", "Dead letters", Role.DEPLOYMENTS_OPERATE, null);
        this.folder = folder;
    }

    /** One dead-lettered event as the bus wrote it. */
    record DeadLetter(String file, JsonNode content) {}

    /** The dead-lettered events, newest file first; a file that does not read is listed as unreadable. */
    static List<DeadLetter> read(Path folder) {
        List<DeadLetter> letters = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
                JsonNode content;
                try {
                    content = Json.readTree("a dead-lettered event", Files.readAllBytes(f));
                } catch (IOException | RuntimeException e) {
                    content = null;
                }
                letters.add(new DeadLetter(f.getFileName().toString(), content));
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("the dead-letter folder cannot be read", e);
        }
        letters.sort(Comparator.comparing((DeadLetter d) -> d.content() == null ? ""
                : d.content().path("lastDeliveryAttemptTime").asText("")).reversed());
        return letters;
    }

    @Override
    Rendered render(PageRequest request) {
        List<DeadLetter> letters = read(folder);
        if (letters.isEmpty()) {
            return new Rendered("Dead-lettered events", "<p id=\"no-dead-letters\">No event is dead-lettered: the event"
                    + " bus has delivered every event or is still retrying it. An event it gives up on after its last"
                    + " attempt is listed here, with what to do about it.</p>");
        }
        Pages.Table table = Pages.table("dead-letters", Words.count(letters.size(), "dead-lettered event"), "Event type",
                "~Subject", "Function", "Reason", "#Attempts", "Last error", "Last attempt");
        for (DeadLetter d : letters) {
            JsonNode c = d.content();
            if (c == null) {
                Pages.row(table, "unreadable file " + escape(d.file()), "", "", "", "", "", "");
                continue;
            }
            JsonNode event = c.path("event");
            String type = event.path("eventType").asText(event.path("type").asText(""));
            Pages.row(table, escape(type), escape(event.path("subject").asText("")), escape(c.path("function").asText("")),
                    escape(c.path("deadLetterReason").asText("")), c.path("deliveryAttempts").asInt(),
                    escape(c.path("lastErrorCode").asText("") + " " + c.path("lastErrorType").asText("")),
                    escape(Words.time(c.path("lastDeliveryAttemptTime").asText(""))));
        }
        String body = Pages.end(table) + "<p>To redeliver or discard them, follow the "
                + RunbookView.link("dead-lettered-events", "runbook for dead-lettered events") + ".</p>";
        return new Rendered("Dead-lettered events", body);
    }
}
