package health.vigil.approval;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.model.AuditRecord;
import health.vigil.model.ElectronicSignature;
import health.vigil.model.ElectronicSignature.Meaning;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.VersionRecord;
import health.vigil.port.EventPublisher;
import health.vigil.port.Telemetry;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.RegistrationService;
import health.vigil.registry.ServiceFixtures;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class ApprovalServiceTest {
    private static final Instant NOW = Instant.parse("2026-11-06T09:30:00Z");
    private static final ModelVersion V1 = new ModelVersion(READMISSION, 1);
    private static final Principal UPLOADER = new Principal("data-scientist", "Dana Scientist", Set.of(Role.MODELS_UPLOAD,
            Role.MODELS_APPROVE));
    private static final Principal APPROVER = new Principal("approver", "Dr Avery Approver", Set.of(Role.MODELS_APPROVE));
    private static final Principal SECOND = new Principal("approver-2", "Dr Blake Second", Set.of(Role.MODELS_APPROVE));

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final InMemoryAuditStore auditStore = new InMemoryAuditStore();
    private final EventPublisher events = mock(EventPublisher.class);
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    /** What the gates say changed since they judged the version: nothing, unless a test says otherwise. */
    private List<String> changesSinceGates = List.of();

    /** Each governance decision counted: {@code readmission:1 approved}. */
    private final List<String> counted = new ArrayList<>();

    private ApprovalService service(Set<health.vigil.model.ModelName> twoApprovers) {
        AuditLog audit = new AuditLog(auditStore, clock);
        return new ApprovalService(store, new VersionLifecycle(store, audit, clock), audit, events, clock, twoApprovers,
                version -> changesSinceGates, new Telemetry() {
                    @Override
                    public void approval(ModelVersion version, String outcome) {
                        counted.add(version + " " + outcome);
                    }
                });
    }

    private VersionRecord put(Stage stage, String uploader) {
        VersionRecord v = version(READMISSION, 1, stage);
        return store.put(new VersionRecord(v.modelName(), 1, v.manifest(), v.packageSha256(), v.modelSha256(),
                v.packageBlob(), v.packageSize(), stage, uploader, v.registeredAt(), v.sourceEventId(), v.updatedAt(),
                null));
    }

    private VersionRecord stored() {
        return store.findVersion(READMISSION, 1).orElseThrow();
    }

    private List<AuditRecord> audit(String action) {
        return auditStore.read("2026-11-06").stream().filter(r -> r.action().equals(action)).toList();
    }

    @Test
    void anApprovalIsASignatureBoundToThePackageAndMovesTheVersionToApproved() {
        VersionRecord before = put(Stage.GATES_PASSED, "data-scientist");

        ApprovalService.Decision decision = service(Set.of()).approve(V1, APPROVER, "  every gate passed; calibration fine ");

        assertThat(decision.approvalsStillNeeded()).isZero();
        assertThat(stored().stage()).isEqualTo(Stage.APPROVED);
        assertThat(stored().signatures()).containsExactly(new ElectronicSignature("approver", "Dr Avery Approver", NOW,
                Meaning.APPROVED_FOR_CANARY, before.packageSha256(), "every gate passed; calibration fine", 1));
        StageChange last = stored().history().get(stored().history().size() - 1);
        assertThat(last.from()).isEqualTo(Stage.GATES_PASSED);
        assertThat(last.actor()).isEqualTo("approver");
        assertThat(last.reason()).isEqualTo("approved for canary: every gate passed; calibration fine");
        assertThat(audit(ApprovalService.APPROVE)).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("approved_for_canary");
            assertThat(r.details()).containsEntry("printedName", "Dr Avery Approver")
                    .containsEntry("meaning", "approved for canary")
                    .containsEntry("packageSha256", before.packageSha256());
        });
        ArgumentCaptor<VigilEvent> published = ArgumentCaptor.forClass(VigilEvent.class);
        verify(events).publish(published.capture());
        assertThat(published.getValue().type()).isEqualTo(EventTypes.MODEL_APPROVED);
    }

    @Test
    void theUploaderCanNeverApproveTheirOwnVersionAndTheRefusalIsAudited() {
        put(Stage.GATES_PASSED, "data-scientist");

        assertThatThrownBy(() -> service(Set.of()).approve(V1, UPLOADER, "looks good to me"))
                .isInstanceOfSatisfying(AccessDeniedException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.SEPARATION_OF_DUTIES);
                    assertThat(e.code().httpStatus()).isEqualTo(403);
                    assertThat(e.getMessage()).contains("'data-scientist' uploaded readmission:1");
                });
        assertThat(stored().stage()).isEqualTo(Stage.GATES_PASSED);
        assertThat(stored().signatures()).isEmpty();
        assertThat(audit(ApprovalService.APPROVE)).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("refused");
            assertThat(r.actor()).isEqualTo("data-scientist");
            assertThat(r.details()).containsEntry("reason", "SEPARATION_OF_DUTIES");
        });
        verifyNoInteractions(events);
    }

    @Test
    void aRefusalBySeparationOfDutiesIsRecordedWithTheDetailsOfEveryRefusedAttempt() {
        VersionRecord version = put(Stage.GATES_PASSED, "data-scientist");
        Principal platform = new Principal(Principal.RETRAINING, Set.of(Role.MODELS_APPROVE));

        List<String> messages = new ArrayList<>();
        for (Principal signer : List.of(UPLOADER, platform)) {
            assertThatThrownBy(() -> service(Set.of()).reject(V1, signer, "not mine to sign"))
                    .isInstanceOfSatisfying(AccessDeniedException.class, e -> messages.add(e.getMessage()));
        }
        // A refusal by the lifecycle, for comparison: the same fields, another code.
        put(Stage.GATES_FAILED, "data-scientist");
        assertThatThrownBy(() -> service(Set.of()).approve(V1, APPROVER, "fine"))
                .isInstanceOf(ConflictException.class);

        List<AuditRecord> refused = audit(ApprovalService.REJECT).stream()
                .filter(r -> r.outcome().equals("refused")).toList();
        assertThat(refused).hasSize(2);
        for (int i = 0; i < refused.size(); i++) {
            assertThat(refused.get(i).details()).containsEntry("reason", "SEPARATION_OF_DUTIES")
                    .containsEntry("message", messages.get(i)).containsEntry("stage", "gates_passed")
                    .containsEntry("packageSha256", version.packageSha256())
                    .containsEntry("uploader", "data-scientist");
        }
        assertThat(audit(ApprovalService.APPROVE)).singleElement()
                .satisfies(r -> assertThat(r.details()).containsKeys("reason", "message", "stage", "packageSha256"));
    }

    @Test
    void anotherSpellingOfTheUploaderIsTheUploader() {
        put(Stage.GATES_PASSED, "data-scientist");

        // Case, surrounding white space, a zero-width space, full-width letters (NFKC), a decomposed accent (NFD).
        for (String spelling : new String[] {"Data-Scientist", " data-scientist ", "data\u200b-scientist",
                "\uff44\uff41\uff54\uff41-scientist", "DATA-SCIENTIST\u00a0"}) {
            Principal other = new Principal(spelling, Set.of(Role.MODELS_APPROVE));
            assertThatThrownBy(() -> service(Set.of()).approve(V1, other, "looks good to me")).as(spelling)
                    .isInstanceOfSatisfying(AccessDeniedException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.SEPARATION_OF_DUTIES));
        }
        assertThat(stored().signatures()).isEmpty();
        assertThat(stored().stage()).isEqualTo(Stage.GATES_PASSED);
        assertThat(audit(ApprovalService.APPROVE)).hasSize(5).allSatisfy(r -> assertThat(r.outcome()).isEqualTo("refused"));
    }

    @Test
    void oneApproverUnderTwoSpellingsCountsOnceForATwoApproverModel() {
        put(Stage.GATES_PASSED, "data-scientist");
        ApprovalService approvals = service(Set.of(READMISSION));
        approvals.approve(V1, APPROVER, "fine");

        ApprovalService.Decision again = approvals.approve(V1, new Principal("Approver ", Set.of(Role.MODELS_APPROVE)),
                "fine again");

        assertThat(again.approvalsStillNeeded()).isEqualTo(1);
        assertThat(stored().stage()).isEqualTo(Stage.GATES_PASSED);
        assertThat(stored().signatures()).extracting(ElectronicSignature::signerId).containsExactly("approver");
        assertThat(audit(ApprovalService.APPROVE)).hasSize(1);
    }

    @Test
    void aVersionWithoutAKnownUploaderCannotBeApproved() {
        put(Stage.GATES_PASSED, RegistrationService.UNATTRIBUTED);

        assertThatThrownBy(() -> service(Set.of()).approve(V1, APPROVER, "fine"))
                .isInstanceOfSatisfying(AccessDeniedException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.SEPARATION_OF_DUTIES))
                .hasMessageContaining("no known uploader")
                .hasMessageContaining("Its package uploaded again answers as this version: reject it (POST"
                        + " /models/readmission/versions/1/reject)");
    }

    @Test
    void aVersionWithoutAKnownUploaderCanBeRejectedSinceNothingElseWouldEverDecideIt() {
        put(Stage.GATES_PASSED, RegistrationService.UNATTRIBUTED);

        ApprovalService.Decision decision = service(Set.of()).reject(V1, APPROVER, "nobody answers for this package");

        assertThat(decision.version().stage()).isEqualTo(Stage.REJECTED);
        assertThat(stored().signatures()).singleElement()
                .satisfies(s -> assertThat(s.meaning()).isEqualTo(Meaning.REJECTED));
        assertThat(audit(ApprovalService.REJECT)).singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo("rejected"));
        assertThatThrownBy(() -> service(Set.of()).reject(V1, new Principal(Principal.RETRAINING, Set.of(
                Role.MODELS_APPROVE)), "the platform never signs"))
                .isInstanceOfSatisfying(AccessDeniedException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.SEPARATION_OF_DUTIES));
    }

    @Test
    void approvalNeedsPassedGates() {
        for (Stage stage : List.of(Stage.REGISTERED, Stage.GATES_RUNNING, Stage.GATES_FAILED)) {
            put(stage, "data-scientist");
            assertThatThrownBy(() -> service(Set.of()).approve(V1, APPROVER, "fine"))
                    .isInstanceOfSatisfying(ConflictException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE);
                        assertThat(e.getMessage()).contains("approved only from gates_passed");
                    });
            assertThat(stored().signatures()).isEmpty();
        }
    }

    @Test
    void anApprovalOfGatesJudgedOnWhatIsNoLongerInForceIsRefusedAndAuditedButARejectionIsNot() {
        put(Stage.GATES_PASSED, "data-scientist");
        changesSinceGates = List.of("version 3 is in production now, and the gates compared it with version 1");

        assertThatThrownBy(() -> service(Set.of()).approve(V1, APPROVER, "non-inferior to production"))
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.GATES_OUT_OF_DATE);
                    assertThat(e.getMessage()).contains("version 3 is in production now")
                            .contains("POST /models/" + READMISSION + "/versions/1/gates");
                });
        assertThat(stored().stage()).isEqualTo(Stage.GATES_PASSED);
        assertThat(stored().signatures()).isEmpty();
        assertThat(audit(ApprovalService.APPROVE)).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("refused");
            assertThat(r.details()).containsEntry("reason", ErrorCode.GATES_OUT_OF_DATE.name());
        });

        assertThat(service(Set.of()).reject(V1, APPROVER, "not judged against what serves").version().stage())
                .isEqualTo(Stage.REJECTED);
    }

    @Test
    void anApprovalIsJudgedOnTheVersionTheSavedDeploymentServesEvenBeforeTheStagesFollowIt() {
        // Version 1 served when version 3's gates compared it with production; version 2's deploy has been saved
        // since, but the call that saved it stopped before moving the stages.
        store.put(ServiceFixtures.version(READMISSION, 1, Stage.PRODUCTION));
        store.put(ServiceFixtures.version(READMISSION, 2, Stage.APPROVED));
        VersionRecord v3 = ServiceFixtures.version(READMISSION, 3, Stage.GATES_PASSED);
        store.put(new VersionRecord(v3.modelName(), 3, v3.manifest(), v3.packageSha256(), v3.modelSha256(),
                v3.packageBlob(), v3.packageSize(), Stage.GATES_PASSED, "data-scientist", v3.registeredAt(),
                v3.sourceEventId(), v3.updatedAt(), null));
        store.saveDeployment(health.vigil.model.Deployment.stableOnly(READMISSION, 2, 1, "operator", NOW, null));
        AuditLog audit = new AuditLog(auditStore, clock);
        // The gates' basis as they read it: the version whose stage is production.
        ApprovalService service = new ApprovalService(store, new VersionLifecycle(store, audit, clock), audit, events,
                clock, Set.of(), version -> store.listVersions(READMISSION).stream()
                        .filter(v -> v.stage() == Stage.PRODUCTION && v.version() != 1)
                        .map(v -> "version " + v.version() + " is in production; the gates compared version 1")
                        .toList());

        assertThatThrownBy(() -> service.approve(new ModelVersion(READMISSION, 3), APPROVER, "non-inferior"))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.GATES_OUT_OF_DATE));
        assertThat(store.findVersion(READMISSION, 3).orElseThrow().stage()).isEqualTo(Stage.GATES_PASSED);
        assertThat(store.findVersion(READMISSION, 3).orElseThrow().signatures()).isEmpty();
        assertThat(store.findVersion(READMISSION, 2).orElseThrow().stage()).isEqualTo(Stage.PRODUCTION);
        assertThat(store.findVersion(READMISSION, 1).orElseThrow().stage()).isEqualTo(Stage.RETIRED);
    }

    @Test
    void aJustificationIsRequired() {
        put(Stage.GATES_PASSED, "data-scientist");

        // A no-break space, an ideographic space, the blank braille pattern, a Hangul filler, punctuation alone.
        for (String missing : new String[] {null, "", "   ", "\u00a0", "\u3000", "\u2800", "\u3164", "\u115f", " . "}) {
            assertThatThrownBy(() -> service(Set.of()).approve(V1, APPROVER, missing))
                    .isInstanceOf(ValidationException.class).hasMessageContaining("a justification is required");
        }
        assertThat(stored().signatures()).isEmpty();
    }

    @Test
    void aJustificationThatWouldNotBeStoredAsSentIsRefused() {
        put(Stage.GATES_PASSED, "data-scientist");

        // Half a surrogate pair would be kept as '?'; a direction override or a line separator would show a reviewer
        // other text than the one signed.
        for (String altered : new String[] {"gates passed \ud800 fine", "fine \udc00", "fine \u202e desrever",
                "fine\u2028and more", "fine \ufffd"}) {
            assertThatThrownBy(() -> service(Set.of()).approve(V1, APPROVER, altered)).as(altered)
                    .isInstanceOf(ValidationException.class).hasMessageContaining("plain UTF-8 text");
        }
        assertThat(stored().signatures()).isEmpty();
        service(Set.of()).approve(V1, APPROVER, "gates passed on the steward's data \ud83d\ude00\nsecond line");
        assertThat(stored().signatures()).singleElement().satisfies(s -> assertThat(s.justification())
                .isEqualTo("gates passed on the steward's data \ud83d\ude00\nsecond line"));
    }

    @Test
    void signingAgainChangesNothing() {
        put(Stage.GATES_PASSED, "data-scientist");
        ApprovalService approvals = service(Set.of());
        approvals.approve(V1, APPROVER, "fine");
        String etag = stored().etag();

        approvals.approve(V1, APPROVER, "fine, again");

        assertThat(stored().etag()).isEqualTo(etag);
        assertThat(stored().signatures()).hasSize(1);
        assertThat(audit(ApprovalService.APPROVE)).hasSize(1);
        verify(events, times(1)).publish(org.mockito.ArgumentMatchers.any());
    }

    @Test
    void anApprovalWhoseEventDidNotGoOutIsAnnouncedWhenTheApproverSignsAgainAndOnlyThen() {
        put(Stage.GATES_PASSED, "data-scientist");
        ApprovalService approvals = service(Set.of());
        org.mockito.Mockito.doThrow(new health.vigil.error.StoreException("Event Grid did not answer", null))
                .doNothing().when(events).publish(org.mockito.ArgumentMatchers.any());

        assertThatThrownBy(() -> approvals.approve(V1, APPROVER, "fine"))
                .isInstanceOf(health.vigil.error.StoreException.class);
        assertThat(stored().stage()).as("the decision was made before the event failed").isEqualTo(Stage.APPROVED);
        approvals.approve(V1, APPROVER, "fine"); // the approver's client tries again
        approvals.approve(V1, APPROVER, "fine");

        ArgumentCaptor<VigilEvent> published = ArgumentCaptor.forClass(VigilEvent.class);
        verify(events, times(2)).publish(published.capture());
        assertThat(published.getAllValues()).extracting(VigilEvent::type)
                .containsExactly(EventTypes.MODEL_APPROVED, EventTypes.MODEL_APPROVED);
        assertThat(published.getAllValues().get(1).id()).as("the same event, not a second decision")
                .isEqualTo(published.getAllValues().get(0).id());
        assertThat(audit(ApprovalService.APPROVE)).hasSize(1);
    }

    /**
     * The first of two approvals is saved, and its audit record could not be written (the audit store was away, or the
     * process stopped between the two): the second approver's signing records it, once, so no signature stays without
     * its record. Before, only the first approver signing again repaired it.
     */
    @Test
    void aSignatureSavedWithoutItsAuditRecordIsRecordedWhenTheNextApproverSigns() {
        put(Stage.GATES_PASSED, "data-scientist");
        java.util.concurrent.atomic.AtomicBoolean auditAway = new java.util.concurrent.atomic.AtomicBoolean(true);
        Class<?>[] port = {health.vigil.port.AuditStore.class};
        health.vigil.port.AuditStore failingOnce = (health.vigil.port.AuditStore) java.lang.reflect.Proxy
                .newProxyInstance(getClass().getClassLoader(), port, (proxy, method, args) -> {
                    if (method.getName().equals("tryAppendOnce") && auditAway.getAndSet(false)) {
                        throw new health.vigil.error.StoreException("the audit store is unavailable", null);
                    }
                    try {
                        return method.invoke(auditStore, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        AuditLog failing = new AuditLog(failingOnce, clock);
        ApprovalService first = new ApprovalService(store, new VersionLifecycle(store, failing, clock), failing, events,
                clock, Set.of(READMISSION), version -> changesSinceGates, Telemetry.NONE);
        assertThatThrownBy(() -> first.approve(V1, APPROVER, "every gate passed"))
                .isInstanceOf(health.vigil.error.StoreException.class);
        assertThat(stored().signatures()).extracting(ElectronicSignature::signerId).containsExactly("approver");
        assertThat(audit(ApprovalService.APPROVE)).isEmpty();

        service(Set.of(READMISSION)).approve(V1, SECOND, "agree: every gate passed");

        assertThat(stored().stage()).isEqualTo(Stage.APPROVED);
        assertThat(audit(ApprovalService.APPROVE)).extracting(AuditRecord::actor)
                .containsExactlyInAnyOrder("approver", "approver-2");
    }

    @Test
    void aTwoApproverModelIsApprovedByTheSecondDistinctApprover() {
        put(Stage.GATES_PASSED, "data-scientist");
        ApprovalService approvals = service(Set.of(READMISSION));

        ApprovalService.Decision first = approvals.approve(V1, APPROVER, "fine");
        ApprovalService.Decision same = approvals.approve(V1, APPROVER, "fine");

        assertThat(first.approvalsStillNeeded()).isEqualTo(1);
        assertThat(same.approvalsStillNeeded()).isEqualTo(1);
        assertThat(stored().stage()).isEqualTo(Stage.GATES_PASSED);

        ApprovalService.Decision second = approvals.approve(V1, SECOND, "agreed");

        assertThat(second.approvalsStillNeeded()).isZero();
        assertThat(stored().stage()).isEqualTo(Stage.APPROVED);
        assertThat(stored().signatures()).extracting(ElectronicSignature::signerId).containsExactly("approver", "approver-2");
    }

    @Test
    void theFirstOfTwoApproversSigningAgainAfterARejectionIsToldTheVersionWasRejected() {
        put(Stage.GATES_PASSED, "data-scientist");
        ApprovalService approvals = service(Set.of(READMISSION));
        approvals.approve(V1, APPROVER, "fine");
        approvals.reject(V1, SECOND, "the segment gap is too wide");

        assertThatThrownBy(() -> approvals.approve(V1, APPROVER, "fine"))
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE);
                    assertThat(e.getMessage()).contains("it is rejected");
                });
        assertThat(stored().stage()).isEqualTo(Stage.REJECTED);
        assertThat(stored().signatures()).extracting(ElectronicSignature::signerId).containsExactly("approver",
                "approver-2");
        assertThat(audit(ApprovalService.APPROVE)).filteredOn(r -> r.outcome().equals("refused")).singleElement()
                .satisfies(r -> {
                    assertThat(r.actor()).isEqualTo("approver");
                    assertThat(r.details()).containsEntry("reason", "INVALID_STATE").containsEntry("stage", "rejected");
                });
        assertThat(counted).as("a refusal by the lifecycle is not a decision")
                .containsExactly("readmission:1 rejected");
    }

    /**
     * A first approval made on one gate report does not count towards approving the next report, even when the
     * machine that re-ran the gates has a clock a few seconds behind the approver's, so the re-run's start reads
     * earlier than the approval: the signature names the run it was made on.
     */
    @Test
    void anApprovalFromAnEarlierGateRunDoesNotCountWhateverTheClocksSay() {
        VersionRecord registered = put(Stage.REGISTERED, "data-scientist");
        VersionRecord running = store.updateVersion(registered.withStage(new StageChange(Stage.REGISTERED,
                Stage.GATES_RUNNING, "gates", "the gates run", NOW.minusSeconds(60))));
        store.updateVersion(running.withStage(new StageChange(Stage.GATES_RUNNING, Stage.GATES_PASSED, "gates",
                "every gate passed", NOW.minusSeconds(59))));
        ApprovalService approvals = service(Set.of(READMISSION));
        approvals.approve(V1, APPROVER, "fine on the first report");
        assertThat(stored().signatures()).singleElement()
                .satisfies(s -> assertThat(s.gateRun()).isEqualTo(1));

        Instant behind = NOW.minusSeconds(5);
        VersionRecord rerun = stored().withStage(new StageChange(Stage.GATES_PASSED, Stage.GATES_RUNNING, "gates",
                "the gates ran again", behind));
        rerun = store.updateVersion(rerun);
        store.updateVersion(rerun.withStage(new StageChange(Stage.GATES_RUNNING, Stage.GATES_PASSED, "gates",
                "every gate passed", behind.plusMillis(1))));

        ApprovalService.Decision second = approvals.approve(V1, SECOND, "fine on the second report");

        assertThat(second.approvalsStillNeeded()).isEqualTo(1);
        assertThat(stored().stage()).isEqualTo(Stage.GATES_PASSED);
        approvals.approve(V1, APPROVER, "still fine on the second report");
        assertThat(stored().stage()).isEqualTo(Stage.APPROVED);
    }

    @Test
    void eachDecisionIsCountedByTheSignatureThatStoredItAndEachRefusalByItsAttempt() {
        put(Stage.GATES_PASSED, "data-scientist");
        ApprovalService approvals = service(Set.of(READMISSION));

        assertThatThrownBy(() -> approvals.approve(V1, UPLOADER, "mine")).isInstanceOf(AccessDeniedException.class);
        approvals.approve(V1, APPROVER, "fine");
        approvals.approve(V1, APPROVER, "fine");
        assertThat(counted).as("the first of two approvals decides nothing").containsExactly("readmission:1 refused");
        approvals.approve(V1, SECOND, "agreed");
        approvals.approve(V1, SECOND, "agreed");

        assertThat(counted).containsExactly("readmission:1 refused", "readmission:1 approved");
    }

    @Test
    void aRejectionIsCountedOnce() {
        put(Stage.GATES_FAILED, "data-scientist");
        ApprovalService approvals = service(Set.of());

        approvals.reject(V1, APPROVER, "calibration slope far from 1");
        approvals.reject(V1, APPROVER, "calibration slope far from 1");

        assertThat(counted).containsExactly("readmission:1 rejected");
    }

    @Test
    void aRejectionIsSignedAndFinal() {
        put(Stage.GATES_FAILED, "data-scientist");

        service(Set.of()).reject(V1, APPROVER, "calibration slope far from 1");

        assertThat(stored().stage()).isEqualTo(Stage.REJECTED);
        assertThat(stored().signatures()).singleElement().extracting(ElectronicSignature::meaning).isEqualTo(Meaning.REJECTED);
        assertThat(audit(ApprovalService.REJECT)).singleElement().extracting(AuditRecord::outcome).isEqualTo("rejected");
        assertThatThrownBy(() -> service(Set.of()).approve(V1, SECOND, "changed my mind"))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE));
    }

    @Test
    void aSignatureCoversOnlyThePackageItWasMadeOn() {
        ElectronicSignature signature = new ElectronicSignature("approver", "Dr Avery Approver", NOW,
                Meaning.APPROVED_FOR_CANARY, "a".repeat(64), "fine");

        assertThat(signature.covers("a".repeat(64))).isTrue();
        assertThat(signature.covers("b".repeat(64))).isFalse();
        assertThatThrownBy(() -> new ElectronicSignature("approver", "Dr Avery Approver", NOW,
                Meaning.APPROVED_FOR_CANARY, "not-a-digest", "fine")).isInstanceOf(ValidationException.class);
    }
}
