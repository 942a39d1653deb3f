package health.vigil.approval;

import health.vigil.audit.AuditLog;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.model.ElectronicSignature;
import health.vigil.model.ElectronicSignature.Meaning;
import health.vigil.model.Lifecycle;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.VersionRecord;
import health.vigil.port.EventPublisher;
import health.vigil.port.RegistryStore;
import health.vigil.registry.Announcements;
import health.vigil.registry.DeploymentStages;
import health.vigil.registry.Lineage;
import health.vigil.registry.ModelRegistry;
import health.vigil.port.Telemetry;
import health.vigil.registry.RefusedAttempts;
import health.vigil.registry.RegistrationService;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Clinical governance's decision on a version whose gates passed: an approval ("approved for canary") or a
 * rejection, each an electronic signature kept on the version and bound to its package's sha256.
 *
 * <p>Separation of duties: the uploader of a version can never sign it, and a version whose uploader is not known
 * cannot be approved at all; every refusal is audited. An approval is signed only on a gate report judged on the
 * production version, evaluation dataset and gate policy in force when it is signed: otherwise it is refused with
 * {@code GATES_OUT_OF_DATE} until the gates run again. A model may require two distinct approvers; the version
 * becomes APPROVED with the signature that completes the count, counting only approvals signed on the current gate
 * report (one signed before the gates ran again is signed again). Signing is idempotent per signer: the same
 * approver signing again changes nothing. A decision the lifecycle refuses is audited as a refused attempt
 * ({@link RefusedAttempts}). Whether the caller holds {@code Models.Approve} is checked by the HTTP layer.
 */
public final class ApprovalService {
    public static final String APPROVE = "model.approve";
    public static final String REJECT = "model.reject";
    static final int MAX_JUSTIFICATION = 2000;
    static final int MAX_ATTEMPTS = 5;

    private final RegistryStore store;
    private final ModelRegistry registry;
    private final VersionLifecycle lifecycle;
    private final DeploymentStages stages;
    private final AuditLog audit;
    private final Announcements announcements;
    private final RefusedAttempts refusals;
    private final Clock clock;
    private final Set<ModelName> twoApproverModels;
    private final StaleGates staleGates;
    private final Telemetry telemetry;

    /** What changed since a version's gates judged it, one sentence a change; the gates answer it. */
    @FunctionalInterface
    public interface StaleGates {
        List<String> changesSinceGates(VersionRecord version);
    }

    public ApprovalService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            Clock clock, Set<ModelName> twoApproverModels, StaleGates staleGates) {
        this(store, lifecycle, audit, events, clock, twoApproverModels, staleGates, Telemetry.NONE);
    }

    /** As above, counting each decision it stores and each refusal by separation of duties in {@code vigil.approvals}. */
    public ApprovalService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            Clock clock, Set<ModelName> twoApproverModels, StaleGates staleGates, Telemetry telemetry) {
        this.store = Objects.requireNonNull(store, "store");
        this.registry = new ModelRegistry(store);
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.stages = new DeploymentStages(store, lifecycle);
        this.audit = Objects.requireNonNull(audit, "audit");
        this.announcements = new Announcements(store, events);
        this.refusals = new RefusedAttempts(store, audit);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.twoApproverModels = Set.copyOf(twoApproverModels);
        this.staleGates = Objects.requireNonNull(staleGates, "staleGates");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /** What a signature did: the version after it, and how many approvals it still needs (0 once approved). */
    public record Decision(VersionRecord version, ElectronicSignature signature, int approvalsStillNeeded) {}

    /** How many distinct approvers a version of {@code model} needs. */
    public int requiredApprovals(ModelName model) {
        return twoApproverModels.contains(model) ? 2 : 1;
    }

    /** Signs {@code version} "approved for canary"; it becomes APPROVED once enough approvers signed. */
    public Decision approve(ModelVersion version, Principal approver, String justification) {
        return sign(version, approver, justification, Meaning.APPROVED_FOR_CANARY);
    }

    /** Signs {@code version} "rejected"; it becomes REJECTED and can never be deployed. */
    public Decision reject(ModelVersion version, Principal approver, String justification) {
        return sign(version, approver, justification, Meaning.REJECTED);
    }

    /**
     * Signs, or records the attempt as refused when the lifecycle does not let the version take this decision (an
     * approval of a version whose gates did not pass or were judged on what is no longer in force, any decision on a
     * version decided already).
     */
    private Decision sign(ModelVersion id, Principal signer, String justification, Meaning meaning) {
        Objects.requireNonNull(id, "version");
        Objects.requireNonNull(signer, "signer");
        String action = meaning == Meaning.REJECTED ? REJECT : APPROVE;
        String why = checkedJustification(justification, meaning);
        return refusals.attempt(signer, action, id.name(), id.number(), Map.of(),
                () -> signChecked(id, signer, why, meaning, action));
    }

    private Decision signChecked(ModelVersion id, Principal signer, String why, Meaning meaning, String action) {
        Stage target = meaning == Meaning.REJECTED ? Stage.REJECTED : Stage.APPROVED;
        String cause = action + ":" + id.name().value() + ":" + id.number();
        if (target == Stage.APPROVED) {
            // The gates' basis names the version in production by its stage: a deploy, rollback or promotion saved
            // but not yet followed by the stages (its writer is still settling them, or stopped before) has replaced
            // that version all the same, and an approval judged on the old one would sign a report that is out of date.
            stages.settle(id.name());
        }
        ConflictException lastConflict = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            VersionRecord record = registry.getVersion(id.name(), id.number());
            requireSeparation(record, signer, action);
            // A signature is saved before its audit record is written: one whose record a crash or an audit store
            // that was away left unwritten (the first of two approvers') is recorded now, by whoever signs next.
            record.signatures().stream().filter(s -> s.covers(record.packageSha256()) && onCurrentGates(record, s))
                    .forEach(s -> auditSignature(id, s, record));
            ElectronicSignature earlier = record.signatures().stream()
                    .filter(s -> Principal.sameIdentity(s.signerId(), signer.id()) && s.meaning() == meaning
                            && s.covers(record.packageSha256()) && onCurrentGates(record, s))
                    .findFirst().orElse(null);
            if (earlier != null) {
                auditSignature(id, earlier, record);
                return signedBefore(record, signer, earlier, target, cause);
            }
            // Approval needs passed gates; a rejection may also follow failed ones.
            Lifecycle.require(id, record.stage(), target);
            if (target == Stage.APPROVED) {
                requireCurrentGates(record);
            }
            ElectronicSignature signature = new ElectronicSignature(signer.id(), signer.name(), clock.instant(), meaning,
                    record.packageSha256(), why, record.gateRun());
            int needed = target == Stage.APPROVED ? approvalsStillNeeded(record) - 1 : 0;
            VersionRecord signed;
            try {
                // A signature that decides the version is written with the move it decides, on the version as it
                // was read: of two decisions racing, the one that lands is the only one the version keeps.
                signed = needed > 0 ? store.updateVersion(record.withSignature(signature, signature.signedAt()))
                        : lifecycle.moveSigned(record, signature, target, signer, reason(signature), cause).version();
            } catch (ConflictException e) {
                if (e.code() != ErrorCode.CONCURRENT_MODIFICATION) {
                    throw e;
                }
                lastConflict = e;
                continue;
            }
            auditSignature(id, signature, record);
            if (needed == 0) {
                counted(id, target);
                announce(signed, target, cause);
            }
            return new Decision(signed, signature, Math.max(0, needed));
        }
        throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, id + " kept changing while it was being signed ("
                + MAX_ATTEMPTS + " attempts; last: " + lastConflict.getMessage() + "); sign again");
    }

    /**
     * Whether {@code signature} was made on the version's current gate report: an approval vouches for the report its
     * signer read, so one made before the gates ran again (on a two-approver model, the first of two) does not count
     * towards the approval of what the new report says; its signer signs again. Rejections always count. The run is
     * the one the signature names; a signature stored before runs were named is judged by its time against the start
     * of the current run, which two machines whose clocks differ can misjudge.
     */
    private static boolean onCurrentGates(VersionRecord record, ElectronicSignature signature) {
        if (signature.meaning() != Meaning.APPROVED_FOR_CANARY) {
            return true;
        }
        if (signature.gateRun() != null) {
            return signature.gateRun() == record.gateRun();
        }
        Instant reportStarted = currentGateRun(record).map(StageChange::at).orElse(null);
        return reportStarted == null || !signature.signedAt().isBefore(reportStarted);
    }

    /** The move that started the gate run whose report is current, if the gates ever ran again. */
    private static Optional<StageChange> currentGateRun(VersionRecord record) {
        return record.history().stream().filter(c -> c.to() == Stage.GATES_RUNNING).skip(1)
                .reduce((first, second) -> second);
    }

    /**
     * The signature's audit record, once, in the name of whoever made it (an approval signed again on a later gate run
     * is a record of its own).
     */
    private void auditSignature(ModelVersion id, ElectronicSignature signature, VersionRecord record) {
        String action = signature.meaning() == Meaning.REJECTED ? REJECT : APPROVE;
        String signer = signature.signerId();
        int run = signature.meaning() == Meaning.APPROVED_FOR_CANARY ? record.gateRun() : 1;
        audit.recordOnce(action + ":" + id.name().value() + ":" + id.number() + ":" + signer
                + (run > 1 ? ":gates-run-" + run : ""), signer,
                action, id.subject(), signature.meaning().wireName(), signatureDetails(signature,
                        requiredApprovals(id.name())));
    }

    private static String reason(ElectronicSignature signature) {
        return signature.meaning().phrase() + ": " + signature.justification();
    }

    /** How many more distinct approvals of its package the version needs to be approved. */
    private int approvalsStillNeeded(VersionRecord record) {
        List<String> approvers = new ArrayList<>();
        record.signatures().stream()
                .filter(s -> s.meaning() == Meaning.APPROVED_FOR_CANARY && s.covers(record.packageSha256())
                        && onCurrentGates(record, s))
                .map(ElectronicSignature::signerId)
                .filter(signer -> approvers.stream().noneMatch(counted -> Principal.sameIdentity(counted, signer)))
                .forEach(approvers::add);
        return Math.max(0, requiredApprovals(record.id().name()) - approvers.size());
    }

    /**
     * A signer signing what they signed before: nothing new is written. What a call that stopped part-way left undone
     * is finished: the decision's stage record and event, or, for a version whose signatures decide it without the
     * move having been made (the number of approvers a model needs was lowered since), the move itself. A version that
     * another decision has decided since is refused ({@code INVALID_STATE}).
     */
    private Decision signedBefore(VersionRecord record, Principal signer, ElectronicSignature signature, Stage target,
            String cause) {
        ModelVersion id = record.id();
        Optional<StageChange> decided = record.history().stream()
                .filter(c -> cause.equals(c.cause()) && c.to() == target)
                .reduce((first, second) -> second);
        if (decided.isPresent()) {
            // Completes the move's audit record, should the call that made it have stopped before writing it.
            lifecycle.move(id, decided.get().from(), target, signer, decided.get().reason(), cause);
            if (record.stage() == target) {
                announce(record, target, cause);
            }
            return new Decision(record, signature, 0);
        }
        // Decided otherwise since (the other of two approvers rejected it): the signer is told so, and the attempt is
        // recorded, as for anyone deciding a decided version, rather than told how many approvals it still needs.
        Lifecycle.require(id, record.stage(), target);
        int needed = target == Stage.APPROVED ? approvalsStillNeeded(record) : 0;
        if (needed > 0) {
            return new Decision(record, signature, needed);
        }
        if (target == Stage.APPROVED) {
            requireCurrentGates(record);
        }
        VersionLifecycle.Move move = lifecycle.move(id, record.stage(), target, signer, reason(signature), cause);
        counted(id, target);
        announce(move.version(), target, cause);
        return new Decision(move.version(), signature, 0);
    }

    /** The decision this call stored, counted once: a signer signing again stores nothing and counts nothing. */
    private void counted(ModelVersion id, Stage decided) {
        telemetry.approval(id, decided == Stage.APPROVED ? "approved" : "rejected");
    }

    /**
     * Publishes the decision's event unless it is out already: the id is fixed by the decision, and the registry
     * marks it announced only after the publish, so a retried call neither loses nor doubles it.
     */
    private void announce(VersionRecord signed, Stage target, String cause) {
        if (announcements.done(cause)) {
            return;
        }
        ModelVersion id = signed.id();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("model", id.name().value());
        data.put("version", id.number());
        data.put("packageSha256", signed.packageSha256());
        String eventId = java.util.UUID.nameUUIDFromBytes(("vigil:" + cause).getBytes(StandardCharsets.UTF_8))
                .toString();
        announcements.publish(cause, new VigilEvent(eventId, target == Stage.APPROVED ? EventTypes.MODEL_APPROVED
                : EventTypes.MODEL_REJECTED, VigilEvent.SOURCE, id.subject(), clock.instant(), data));
    }

    /**
     * An approval vouches for the gate report the approver read: a non-inferiority result against the production
     * version it names, on its dataset, by its policy. Once another version serves, or a newer dataset or policy is in
     * force, that report no longer says what an approval would claim, and the gates must run again first.
     */
    private void requireCurrentGates(VersionRecord record) {
        List<String> changes = staleGates.changesSinceGates(record);
        if (changes.isEmpty()) {
            return;
        }
        ModelVersion id = record.id();
        throw new ConflictException(ErrorCode.GATES_OUT_OF_DATE, "the gate report of " + id + " is out of date: "
                + String.join("; ", changes) + ". Run its gates again on what is in force with POST /models/"
                + id.name() + "/versions/" + id.number() + "/gates (vigil models gates " + id.name() + " "
                + id.number() + " --rerun), read the new report, then sign");
    }

    /**
     * The uploader never signs their own version; an unknown uploader means nobody can show they are not approving
     * their own upload; and the platform's own identities (retraining among them) never sign anything, so a version
     * the platform retrained always waits for a person. A retrained version re-runs the recipe and code of the version
     * it was retrained from, so the person who uploaded that one (the first upload by someone other than the platform
     * up its lineage) does not sign it either. A version nobody may approve can still be rejected by anyone who may
     * sign: a rejection puts nothing in front of patients, and its package, uploaded again, answers as the same
     * version, so nothing else would ever decide it.
     */
    private void requireSeparation(VersionRecord record, Principal signer, String action) {
        String uploader = record.registeredBy();
        boolean approving = APPROVE.equals(action);
        boolean unknown = uploader == null || RegistrationService.UNATTRIBUTED.equals(uploader);
        boolean platform = Principal.isPlatform(signer.id());
        RetrainedFrom origin = unknown || platform ? null : retrainedFrom(record);
        boolean originUnknown = origin != null && origin.unknown() != null;
        boolean originUploader = origin != null && !originUnknown
                && Principal.sameIdentity(origin.version().registeredBy(), signer.id());
        boolean uploaderSigns = !unknown && Principal.sameIdentity(uploader, signer.id());
        if (!platform && !uploaderSigns && !originUploader && !(approving && (unknown || originUnknown))) {
            return;
        }
        AccessDeniedException refusal = separationRefusal(record, signer, platform, unknown, origin);
        // The same details as a refusal by the lifecycle (RefusedAttempts), and who uploaded what.
        Map<String, String> details = RefusedAttempts.details(refusal);
        details.put("stage", record.stage().wireName());
        details.put("packageSha256", String.valueOf(record.packageSha256()));
        details.put("uploader", unknown ? RegistrationService.UNATTRIBUTED : uploader);
        if (originUploader) {
            details.put("retrainedFrom", origin.version().id().toString());
            details.put("retrainedFromUploader", origin.version().registeredBy());
        }
        audit.record(signer.id(), action, record.id().subject(), RefusedAttempts.OUTCOME, details);
        telemetry.approval(record.id(), "refused");
        throw refusal;
    }

    /** Why {@code signer} may not sign {@code record}, as the caller is told it. */
    private static AccessDeniedException separationRefusal(VersionRecord record, Principal signer, boolean platform,
            boolean unknown, RetrainedFrom origin) {
        if (platform) {
            return new AccessDeniedException(ErrorCode.SEPARATION_OF_DUTIES, "'" + signer.id() + "' is one of the"
                    + " platform's own identities and never signs a version; a human approver must");
        }
        if (unknown) {
            return new AccessDeniedException(ErrorCode.SEPARATION_OF_DUTIES, record.id() + " has no known uploader, so"
                    + " nobody can show they are not approving their own upload. " + replaceIt(record));
        }
        if (origin != null && origin.unknown() != null) {
            return new AccessDeniedException(ErrorCode.SEPARATION_OF_DUTIES, record.id() + " was retrained by the"
                    + " platform, but " + origin.unknown() + ", so nobody can show they are not approving a retraining"
                    + " of their own upload. " + replaceIt(record));
        }
        if (origin != null && Principal.sameIdentity(origin.version().registeredBy(), signer.id())) {
            ModelVersion parent = origin.version().id();
            return new AccessDeniedException(ErrorCode.SEPARATION_OF_DUTIES, "'" + signer.id() + "' uploaded " + parent
                    + ", the version " + record.id() + " was retrained from" + (origin.through().isEmpty() ? ""
                            : " (through " + String.join(", ", origin.through()) + ")")
                    + ": a retraining re-runs that upload's recipe and code, so its uploader may not sign the result;"
                    + " another approver must");
        }
        return new AccessDeniedException(ErrorCode.SEPARATION_OF_DUTIES, "'" + signer.id() + "' uploaded " + record.id()
                + " and so may not sign it; another approver must");
    }

    /** What to do with a version nobody may approve: the same package uploaded again would answer as it. */
    private static String replaceIt(VersionRecord record) {
        String versions = "/models/" + record.modelName() + "/versions/" + record.version();
        return "Its package uploaded again answers as this version: reject it (POST " + versions + "/reject), and"
                + " have the model's owner upload a newly exported package through POST /models/" + record.modelName()
                + "/packages, which records who uploaded it";
    }

    /**
     * Where a version the platform retrained comes from: the first version up its lineage that the platform did not
     * upload, and the retrained versions in between, nearest first; or, where the lineage cannot be followed, why.
     */
    private record RetrainedFrom(VersionRecord version, List<String> through, String unknown) {}

    /**
     * The version {@code record} was retrained from, followed up its {@link Lineage} past versions the platform
     * retrained itself; null for a version the platform did not retrain.
     */
    private RetrainedFrom retrainedFrom(VersionRecord record) {
        Lineage lineage = Lineage.of(record, store::findVersion);
        if (!lineage.isRetrained()) {
            return null;
        }
        List<String> through = lineage.retrained().stream().skip(1).map(v -> v.id().toString()).toList();
        if (lineage.broken() != null) {
            return new RetrainedFrom(null, through, lineage.broken());
        }
        VersionRecord origin = lineage.origin();
        String uploader = origin.registeredBy();
        if (uploader == null || RegistrationService.UNATTRIBUTED.equals(uploader)) {
            return new RetrainedFrom(null, through, origin.id() + ", the version it was retrained from, has no known"
                    + " uploader");
        }
        return new RetrainedFrom(origin, through, null);
    }

    private static String checkedJustification(String justification, Meaning meaning) {
        if (!health.vigil.json.Json.saysSomething(justification)) {
            throw new ValidationException("a justification is required: say why the version is "
                    + meaning.phrase() + " in words (it is part of the signed record; white space or punctuation alone says"
                    + " nothing)");
        }
        String trimmed = justification.strip();
        if (trimmed.length() > MAX_JUSTIFICATION) {
            throw new ValidationException("the justification has " + trimmed.length() + " characters; at most "
                    + MAX_JUSTIFICATION + " are kept with a signature");
        }
        if (trimmed.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n')) {
            throw new ValidationException("the justification holds control characters; write it as plain text");
        }
        // Stored as sent or not at all: half a surrogate pair would be kept as '?' in the signed record, and a
        // direction override would show a reviewer other text than the one signed.
        // Line breaks are a justification's own; anything else that is not printable text is refused.
        if (!health.vigil.json.Json.isPrintableText(trimmed.replace('\n', ' '))) {
            throw new ValidationException("the justification holds half a surrogate pair, U+FFFD, a line separator or"
                    + " an invisible formatting character (such as a direction override); write it as plain UTF-8 text");
        }
        return trimmed;
    }

    private static Map<String, String> signatureDetails(ElectronicSignature signature, int required) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("printedName", signature.printedName());
        details.put("meaning", signature.meaning().phrase());
        details.put("signedAt", signature.signedAt().toString());
        details.put("packageSha256", signature.packageSha256());
        details.put("justification", signature.justification());
        if (signature.gateRun() != null) {
            details.put("gateRun", signature.gateRun().toString());
        }
        details.put("requiredApprovers", Integer.toString(required));
        return details;
    }
}
