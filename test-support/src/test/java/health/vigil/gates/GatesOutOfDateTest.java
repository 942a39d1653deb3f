package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import health.vigil.approval.ApprovalService;
import health.vigil.cards.ModelCard;
import health.vigil.config.VigilConfig;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.model.AuditRecord;
import health.vigil.model.GateReport;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An approval signs the gate report it reads; on the platform's real local stores and ONNX Runtime, a report judged
 * against a production version that no longer serves, or on a dataset no longer in force, cannot be signed until the
 * gates run again on what is.
 */
class GatesOutOfDateTest {
    private static final ModelName MODEL = new ModelName(SampleModels.READMISSION_NAME);
    private static final ModelVersion CANDIDATE = new ModelVersion(MODEL, 2);
    private static final Principal SCIENTIST = new Principal("data-scientist", Set.of(Role.MODELS_UPLOAD));
    private static final Principal APPROVER = new Principal("approver", "Dr Avery Approver",
            Set.of(Role.MODELS_APPROVE));
    private static final Principal OPERATOR = new Principal("operator", Set.of(Role.DEPLOYMENTS_OPERATE));

    @TempDir
    Path home;
    private VigilPlatform platform;

    @BeforeEach
    void productionVersionOneAndACandidateJudgedAgainstIt() {
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build();
        GateEvaluationAuditTest.registerDataset(platform, MODEL);
        deploy(upload(SampleModels.readmissionTrees(), "trees.zip"));
        int candidate = upload(SampleModels.readmissionLogistic(), "logistic.zip");
        assertThat(candidate).isEqualTo(CANDIDATE.number());
        GateReport judged = platform.gates().find(CANDIDATE).orElseThrow();
        assertThat(judged.passed()).as("%s", judged.checks()).isTrue();
        assertThat(judged.productionVersion()).isEqualTo(1);
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void anApprovalAfterAnotherVersionWasDeployedIsRefusedUntilTheGatesRunAgainstIt() {
        int rebuilt = uploadRebuiltTrees();
        deploy(rebuilt);

        ConflictException refused = catchThrowableOfType(
                () -> platform.approvals().approve(CANDIDATE, APPROVER, "non-inferior to production"),
                ConflictException.class);

        assertThat(refused.code()).as(refused.getMessage()).isEqualTo(ErrorCode.GATES_OUT_OF_DATE);
        assertThat(refused.getMessage()).contains("version 3 is in production now")
                .contains("compared it with version 1")
                .contains("POST /models/" + MODEL + "/versions/2/gates");
        assertThat(platform.registry().getVersion(MODEL, 2).stage()).isEqualTo(Stage.GATES_PASSED);
        assertThat(platform.registry().getVersion(MODEL, 2).signatures()).isEmpty();
        assertThat(trail("model.approve").stream().filter(r -> r.subject().equals(CANDIDATE.subject())))
                .singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("refused");
            assertThat(r.actor()).isEqualTo(APPROVER.id());
            assertThat(r.details()).containsEntry("reason", ErrorCode.GATES_OUT_OF_DATE.name());
            assertThat(r.details().values()).noneMatch(v -> v.contains("non-inferior"));
        });
        ModelCard.Summary card = platform.cards().card(MODEL, 2).summary();
        assertThat(card.gatesOutOfDate()).singleElement().asString().contains("version 3 is in production now");

        GateReport rerun = platform.gates().rerun(CANDIDATE, APPROVER);

        assertThat(rerun.productionVersion()).isEqualTo(3);
        assertThat(rerun.passed()).isTrue();
        assertThat(platform.gates().find(CANDIDATE)).contains(rerun);
        assertThat(platform.cards().card(MODEL, 2).summary().gatesOutOfDate()).isEmpty();
        assertThat(platform.approvals().approve(CANDIDATE, APPROVER, "non-inferior to production version 3")
                .version().stage()).isEqualTo(Stage.APPROVED);
        assertThat(trail("gates.evaluate").stream().filter(r -> r.subject().equals(CANDIDATE.subject())))
                .extracting(AuditRecord::outcome).containsExactly("passed", "passed");
        // Approved against the report it read: the gates are frozen from now on.
        ConflictException frozen = catchThrowableOfType(() -> platform.gates().rerun(CANDIDATE, APPROVER),
                ConflictException.class);
        assertThat(frozen.code()).isEqualTo(ErrorCode.INVALID_STATE);
    }

    @Test
    void aNewerEvaluationDatasetMakesTheReportOutOfDateAndARerunOnTheSameBasisWritesNothing() {
        GateReport first = platform.gates().find(CANDIDATE).orElseThrow();
        int records = trail("gates.evaluate").size();

        assertThat(platform.gates().rerun(CANDIDATE, APPROVER)).as("nothing it was judged on changed").isEqualTo(first);
        assertThat(trail("gates.evaluate")).hasSize(records);
        assertThat(platform.registry().getVersion(MODEL, 2).history()).noneMatch(c -> c.actor().equals(APPROVER.id()));

        GateEvaluationAuditTest.registerDataset(platform, MODEL, SampleModels.readmissionCohort(300, 11), "eval-2.csv");
        ConflictException refused = catchThrowableOfType(
                () -> platform.approvals().approve(CANDIDATE, APPROVER, "every gate passed"), ConflictException.class);
        assertThat(refused.code()).as(refused.getMessage()).isEqualTo(ErrorCode.GATES_OUT_OF_DATE);
        assertThat(refused.getMessage()).contains("the evaluation dataset in force is now")
                .contains("judged it on " + first.datasetSha256());

        GateReport rerun = platform.gates().rerun(CANDIDATE, APPROVER);
        assertThat(rerun.datasetSha256()).isNotEqualTo(first.datasetSha256());
        assertThat(platform.registry().getVersion(MODEL, 2).history()).anyMatch(c -> c.actor().equals(APPROVER.id())
                && c.to() == Stage.GATES_RUNNING);
    }

    @Test
    void aFirstOfTwoApprovalsMadeOnAReportThatWentOutOfDateDoesNotCountOnceTheGatesRanAgain() {
        Principal second = new Principal("second-approver", "Dr Sam Second", Set.of(Role.MODELS_APPROVE));
        platform.close();
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .twoApproverModels(Set.of(MODEL)).build();
        assertThat(platform.approvals().approve(CANDIDATE, APPROVER, "non-inferior to version 1").approvalsStillNeeded())
                .isEqualTo(1);
        int rebuilt = uploadRebuiltTrees();
        platform.approvals().approve(new ModelVersion(MODEL, rebuilt), second, "gates passed");
        deploy(rebuilt);
        platform.gates().rerun(CANDIDATE, second);

        // The second approver reads the new report (against version 3) and signs; the first signed the old one.
        ApprovalService.Decision decision = platform.approvals().approve(CANDIDATE, second,
                "non-inferior to version 3");

        assertThat(decision.approvalsStillNeeded()).isEqualTo(1);
        assertThat(platform.registry().getVersion(MODEL, 2).stage()).isEqualTo(Stage.GATES_PASSED);
        // The first approver signs again, on the report in force: that decides it, and both signatures are recorded.
        ApprovalService.Decision again = platform.approvals().approve(CANDIDATE, APPROVER, "non-inferior to version 3");
        assertThat(again.version().stage()).isEqualTo(Stage.APPROVED);
        assertThat(again.version().signatures()).extracting(s -> s.signerId())
                .containsExactly(APPROVER.id(), second.id(), APPROVER.id());
        assertThat(trail("model.approve").stream().filter(r -> r.subject().equals(CANDIDATE.subject())
                && r.actor().equals(APPROVER.id()))).hasSize(2);
        // A replay of the last approval writes nothing.
        int records = trail("model.approve").size();
        platform.approvals().approve(CANDIDATE, APPROVER, "non-inferior to version 3");
        assertThat(trail("model.approve")).hasSize(records);
    }

    /** The production model's trees again under another description: another package, version 3. */
    private int uploadRebuiltTrees() {
        SamplePackage trees = SampleModels.readmissionTrees();
        Manifest m = trees.manifest();
        int rebuilt = upload(new SamplePackage(new Manifest(m.formatVersion(), m.name(), m.task(),
                "30-day readmission risk, gradient-boosted trees, rebuilt", m.features(), m.featurePipeline(),
                m.output(), m.intendedUse(), m.limitations(), m.owner(), m.provenance()), trees.onnx(),
                trees.reference()), "trees-rebuilt.zip");
        return rebuilt;
    }

    /** Uploads {@code sample} as the data scientist and runs its gates as its Registered event would; its number. */
    private int upload(SamplePackage sample, String fileName) {
        RegistrationOutcome outcome = platform.registration().upload(MODEL, fileName, sample.zip(), SCIENTIST);
        ModelVersion id = outcome.version().id();
        platform.gates().onRegistered(id, "registered-" + id.number());
        return id.number();
    }

    private void deploy(int version) {
        platform.approvals().approve(new ModelVersion(MODEL, version), APPROVER, "gates passed");
        platform.deployments().deploy(MODEL, version, OPERATOR);
    }

    private List<AuditRecord> trail(String action) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return platform.audit().read(today.minusDays(1), today.plusDays(1)).stream()
                .filter(r -> r.action().equals(action)).toList();
    }
}
