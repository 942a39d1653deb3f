package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelViewTest {

    @Test
    void aStageHistorySaysEachStageInWordsNotItsWireName() {
        Instant at = Instant.parse("2026-12-06T07:15:37Z");
        String table = ModelView.history("history", "Stage history", List.of(
                new ModelView.Change(4, new StageChange(Stage.CANARY, Stage.ROLLED_BACK, "canary-controller",
                        "step 1 (20 %) failed", at)),
                new ModelView.Change(4, new StageChange(Stage.GATES_RUNNING, Stage.GATES_PASSED, "vigil-system",
                        "every gate passed", at))), true);

        assertThat(table).contains("<td role=\"cell\" data-label=\"To\">rolled back</td>",
                "<td role=\"cell\" data-label=\"From\">gates running</td>",
                "<td role=\"cell\" data-label=\"To\">gates passed</td>")
                .doesNotContain("rolled_back", "gates_running", "gates_passed");
    }
}
