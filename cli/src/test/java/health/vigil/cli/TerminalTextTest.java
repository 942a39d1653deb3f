package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TerminalTextTest {

    @Test
    void jsonForATerminalEscapesWhatCouldMoveTheCursorOrReorderTheLineAndReadsBackTheSame() {
        // CSI as one C1 character, a right-to-left override, a zero width space, DEL and a tag character, beside text
        // that is simply not ASCII.
        String justification = "approved\u009b2J\u202Eon review\u200B\u007f\uDB40\uDC01 by Dr Zoë Åberg";

        for (boolean pretty : new boolean[] {false, true}) {
            String json = TerminalText.json(Map.of("justification", justification), pretty);

            assertThat(json.codePoints()).as(json).noneMatch(c -> c == 0x9b || c == 0x202e || c == 0x200b || c == 0x7f
                    || c == 0xE0001);
            assertThat(json).contains("\\u009B").contains("\\u202E").contains("\\u200B").contains("\\u007F")
                    .contains("\\uDB40\\uDC01").contains("Zoë Åberg");
            assertThat(Json.readTree("the answer", json.getBytes(StandardCharsets.UTF_8)).path("justification")
                    .asText()).isEqualTo(justification);
        }
    }
}
