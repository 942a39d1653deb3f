package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.canary.InMemoryPredictionLog;
import health.vigil.error.ValidationException;
import health.vigil.features.FeaturePipeline;
import health.vigil.model.AuditRecord;
import health.vigil.model.Explanation.Direction;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ModelRegistry;
import health.vigil.scoring.PredictionExplanation;
import health.vigil.scoring.PredictionExplanations;
import health.vigil.scoring.PredictionRetention;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PredictionViewTest {
    private static final String ID = "0190a3c4-0000-7000-8000-000000000001";

    @Test
    void theExplanationInsideTheDashboardIsASectionUnderThePagesOneHeadingNotASecondH1() {
        PredictionExplanations explanations = mock(PredictionExplanations.class);
        when(explanations.explanation(ID, "clinician")).thenReturn(new PredictionExplanation(ID,
                new ModelName("readmission"), 3, Slot.STABLE, Instant.parse("2026-11-20T12:00:00Z"), 0.31, 0.2, 0.5,
                "readmitted", false,
                List.of(new PredictionExplanation.ClinicalFactor("time_in_hospital", "Length of stay", "days", 0.1, 0.5,
                        Direction.RAISES)), 0.01, 0.31, "summary", "adults discharged from hospital", List.of(),
                "/models/readmission/versions/3/card",
                Stage.PRODUCTION));
        VigilPlatform platform = mock(VigilPlatform.class);
        when(platform.explanations()).thenReturn(explanations);

        // The dashboard puts the page's title in the one h1 above this body.
        String body = new PredictionView(() -> platform).render(new PageRequest(new Principal("clinician", "Cleo",
                Set.of(Role.SCORING_INVOKE)), Map.of(), Map.of("id", ID))).body();

        assertThat(body).doesNotContain("<h1")
                .contains("<h2 id=\"explanation-title-" + ID + "\">Why the model gave this risk</h2>")
                .contains("<h3>Model</h3>", "<h3>Intended use</h3>", "<h3>What this model was not validated for</h3>");
        // The read is the signed-in clinician's, as its audit record says.
        verify(explanations).explanation(ID, "clinician");
    }

    @Test
    void textTypedIntoTheBoxThatIsNoIdIsRefusedAndAuditedAsAnInvalidLookupWithoutTheText() {
        InMemoryPredictionLog log = new InMemoryPredictionLog();
        InMemoryAuditStore store = new InMemoryAuditStore();
        Clock clock = Clock.fixed(Instant.parse("2026-12-07T12:00:00Z"), ZoneOffset.UTC);
        AuditLog audit = new AuditLog(store, clock);
        PredictionExplanations explanations = new PredictionExplanations(log, new ModelRegistry(
                new InMemoryRegistryStore()), new PredictionRetention(log, Duration.ofDays(30), clock, null, audit),
                manifest -> mock(FeaturePipeline.class), audit);
        VigilPlatform platform = mock(VigilPlatform.class);
        when(platform.explanations()).thenReturn(explanations);

        assertThatThrownBy(() -> new PredictionView(() -> platform).render(new PageRequest(new Principal("clinician",
                "Cleo", Set.of(Role.SCORING_INVOKE)), Map.of(), Map.of("id", "MRN 20481234")))).isInstanceOf(
                        ValidationException.class).hasMessageNotContaining("20481234");

        List<AuditRecord> reads = store.partitions().stream().flatMap(p -> store.read(p).stream()).toList();
        assertThat(reads).extracting(AuditRecord::actor, AuditRecord::action, AuditRecord::subject,
                AuditRecord::outcome).containsExactly(tuple("clinician", PredictionExplanations.ACTION, "predictions",
                        "invalid"));
        assertThat(reads.get(0).toString()).doesNotContain("20481234");
    }
}
