package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.canary.CanaryService;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.events.EventEnvelopes;
import health.vigil.functions.common.Call;
import health.vigil.functions.common.Reply;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.TrafficSlot;
import health.vigil.model.ModelVersion;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * How a canary request's body becomes a start command, and how a bad one is refused; which version a ramp event is
 * about, and which ramp events are refused before anything is advanced.
 */
class CanaryFunctionsTest {
    private static Call call(String body) {
        return new Call(new Principal("operator", Set.of(Role.DEPLOYMENTS_OPERATE)), "request-1", Map.of(),
                Optional.of(body), Map.of());
    }

    @Test
    void onlyTheVersionIsNeededAndTheRestDefaults() {
        CanaryService.StartCommand command = CanaryFunctions.startCommand(call("{\"version\": 2}"));

        assertThat(command.version()).isEqualTo(2);
        assertThat(command.steps()).isEqualTo(CanaryRamp.DEFAULT_STEPS);
        assertThat(command.bakeTime()).isEqualTo(Duration.ofMinutes(10));
        assertThat(command.policy()).isEqualTo(CanaryPolicy.DEFAULT);
    }

    @Test
    void readsStepsBakeTimeAndAPartialPolicy() {
        CanaryService.StartCommand command = CanaryFunctions.startCommand(call("{\"version\": 3, \"steps\": [50, 2500,"
                + " 10000], \"bakeTime\": \"PT30M\", \"policy\": {\"falseRollbackRate\": 0.05, \"minSamplePerSlot\": 500,"
                + " \"scoreMeanMargin\": 0.04}}"));

        assertThat(command.steps()).containsExactly(50, 2_500, 10_000);
        assertThat(command.bakeTime()).isEqualTo(Duration.ofMinutes(30));
        // Fields not given take the defaults.
        assertThat(command.policy()).isEqualTo(new CanaryPolicy(0.05, 500, 0.05, 0.01, 0.2, null, null, null, null,
                null, null, 0.04));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{}|\"version\" must be the whole number",
            "{\"version\": \"two\"}|\"version\" must be the whole number",
            "{\"version\": 2.5}|\"version\" must be the whole number",
            "{\"version\": 0}|versions start at 1",
            "{\"version\": 2, \"colour\": \"red\"}|unknown field 'colour'",
            "{\"version\": 2, \"MRN-4471 Jane\": 1}|unknown field (its name, not repeated here,",
            "{\"version\": 2, \"steps\": [500, 100, 10000]}|must rise strictly",
            "{\"version\": 2, \"steps\": [100, 5000]}|must be 10000",
            "{\"version\": 2, \"steps\": \"fast\"}|array of basis points",
            "{\"version\": 2, \"bakeTime\": \"ten minutes\"}|ISO-8601 duration",
            "{\"version\": 2, \"bakeTime\": \"PT0S\"}|1 s to 7 days",
            "{\"version\": 2, \"bakeTime\": \"PT10M0.5S\"}|whole seconds",
            "{\"version\": 2, \"bakeTime\": \"PT1.9S\"}|whole seconds",
            "{\"version\": 2, \"policy\": {\"falseRollbackRate\": 0.7}}|falseRollbackRate is 0.7",
            "{\"version\": 2, \"policy\": {\"minSamplePerSlot\": 3}}|minSamplePerSlot is 3",
            "{\"version\": 2, \"policy\": {\"minSamplePerSlot\": 150.9}}|\"minSamplePerSlot\" must be a whole number",
            "{\"version\": 2, \"policy\": {\"minSamplePerSlot\": 3e9}}|\"minSamplePerSlot\" must be a whole number",
            "{\"version\": 2, \"policy\": {\"minSamplePerSlot\": \"500\"}}|\"minSamplePerSlot\" must be a whole number",
            "{\"version\": 2, \"policy\": {\"alpha\": 0.01}}|unknown field 'alpha'",
            "[2]|JSON object"})
    void refusesABadBodyWithWhatToFix(String body, String message) {
        assertThatThrownBy(() -> CanaryFunctions.startCommand(call(body)))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.code().httpStatus()).isEqualTo(400))
                .hasMessageContaining(message);
    }

    /**
     * A body that does not fit the route's shape (an unknown field, another JSON type than a field takes) is
     * MALFORMED_JSON, as the typed routes answer it; a field missing, or well typed and breaking a rule, is
     * INVALID_REQUEST (ADR 0029, docs/api.md).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{}|INVALID_REQUEST",
            "{\"version\": null}|INVALID_REQUEST",
            "{\"version\": 0}|INVALID_REQUEST",
            "{\"version\": 2, \"steps\": [500, 100, 10000]}|INVALID_REQUEST",
            "{\"version\": 2, \"bakeTime\": \"PT0S\"}|INVALID_REQUEST",
            "{\"version\": 2, \"policy\": {\"minSamplePerSlot\": 3}}|INVALID_REQUEST",
            "[2]|MALFORMED_JSON",
            "{\"version\": \"two\"}|MALFORMED_JSON",
            "{\"version\": 2.5}|MALFORMED_JSON",
            "{\"version\": 2, \"colour\": \"red\"}|MALFORMED_JSON",
            "{\"version\": 2, \"steps\": \"fast\"}|MALFORMED_JSON",
            "{\"version\": 2, \"steps\": [100, \"5000\", 10000]}|MALFORMED_JSON",
            "{\"version\": 2, \"bakeTime\": 600}|MALFORMED_JSON",
            "{\"version\": 2, \"policy\": []}|MALFORMED_JSON",
            "{\"version\": 2, \"policy\": {\"alpha\": 0.01}}|MALFORMED_JSON",
            "{\"version\": 2, \"policy\": {\"minSamplePerSlot\": 150.9}}|MALFORMED_JSON",
            "{\"version\": 2, \"policy\": {\"psiLimit\": \"0.2\"}}|MALFORMED_JSON"})
    void aBodyOfTheWrongShapeIsMalformedAndABrokenRuleIsInvalid(String body, ErrorCode code) {
        assertThatThrownBy(() -> CanaryFunctions.startCommand(call(body)))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.code()).isEqualTo(code));
    }

    @Test
    void aMalformedBodyIsA400() {
        assertThatThrownBy(() -> CanaryFunctions.startCommand(call("{\"version\": ")))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_JSON));
    }

    /** A start sent again under its Idempotency-Key is answered as the first one, and says it was replayed. */
    @Test
    void aReplayedStartIsAnsweredAsTheFirstOneAndMarkedReplayed() {
        Deployment started = new Deployment(ModelName.of("readmission"), List.of(
                new TrafficSlot(Slot.STABLE, 1, 9_900), new TrafficSlot(Slot.CANARY, 2, 100)), 2, "ops-oncall",
                Instant.parse("2026-12-01T08:00:00Z"), null, new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600,
                        CanaryPolicy.DEFAULT, CanaryStatus.RUNNING, 0, Instant.parse("2026-12-01T08:00:00Z"),
                        Instant.parse("2026-12-01T08:10:00Z"), 0, "ops-oncall", Instant.parse("2026-12-01T08:00:00Z"),
                        "started", "started by ops-oncall at 1 %", List.of()));

        Reply first = CanaryFunctions.started(new CanaryService.Started(started, false));
        Reply again = CanaryFunctions.started(new CanaryService.Started(started, true));

        assertThat(first.status()).isEqualTo(201);
        assertThat(first.headers()).isEmpty();
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(again.headers()).containsEntry(Call.IDEMPOTENT_REPLAYED, "true");
    }

    private static String rampEvent(String subject, String data) {
        return "{\"specversion\":\"1.0\",\"id\":\"e-1\",\"source\":\"/vigil\",\"type\":\"Vigil.Canary.Stepped\","
                + (subject == null ? "" : "\"subject\":\"" + subject + "\",")
                + "\"time\":\"2026-12-05T10:00:00Z\",\"data\":" + data + "}";
    }

    @Test
    void aRampEventIsAboutTheVersionItsDataAndSubjectBothName() {
        String data = "{\"model\":\"readmission\",\"version\":3,\"step\":2}";
        assertThat(CanaryFunctions.rampedVersion(EventEnvelopes.parseSingle(rampEvent("/models/readmission/versions/3",
                data)))).isEqualTo(ModelVersion.of("readmission", 3));
        // Without a subject there is nothing to disagree with.
        assertThat(CanaryFunctions.rampedVersion(EventEnvelopes.parseSingle(rampEvent(null, data))))
                .isEqualTo(ModelVersion.of("readmission", 3));
    }

    @Test
    void aRampEventWhoseSubjectNamesAnotherVersionOrModelThanItsDataIsRefusedAsTheOtherHandlersRefuseIt() {
        String data = "{\"model\":\"readmission\",\"version\":3}";
        for (String subject : new String[] {"/models/readmission/versions/2", "/models/sepsis-risk/versions/3"}) {
            assertThatThrownBy(() -> CanaryFunctions.rampedVersion(EventEnvelopes.parseSingle(rampEvent(subject, data))))
                    .as(subject)
                    .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.code().httpStatus()).isEqualTo(400))
                    .hasMessage("the Vigil.Canary.Stepped event's subject names "
                            + subject.replace("/models/", "").replace("/versions/", " version ") + " but its data names"
                            + " readmission version 3; AdvanceCanary did nothing: send the event with the same model and"
                            + " version in its subject (/models/{model}/versions/{version}) and its data");
        }
        // The version is read as EvaluateGates and Retrain read theirs: an event without it is refused, naming the field.
        assertThatThrownBy(() -> CanaryFunctions.rampedVersion(EventEnvelopes.parseSingle(rampEvent(
                "/models/readmission/versions/3", "{\"model\":\"readmission\"}"))))
                .isInstanceOf(ValidationException.class)
                .hasMessage("a Vigil.Canary.Stepped event for AdvanceCanary needs 'version' (a whole number) in its data");
    }
}
