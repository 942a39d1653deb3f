package health.vigil.gates;

import health.vigil.audit.AuditLog;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.RegistryStore;
import health.vigil.registry.RefusedAttempts;
import health.vigil.security.Principal;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Each model's gate policy, versioned: version n is stored once as {@code gate-policies/{model}/{n}.json} in the
 * {@code datasets} container and never overwritten, so the policy a report names can always be read back. A
 * change is refused to anyone who uploaded a version of the model (they would be setting their own bar), and is
 * audited once under {@code gate-policy:{model}:{n}}. Thresholds the same as those in force (a retried request, a
 * script applied again) are no change: nothing is stored or audited, and the reports judged by the policy in force
 * stay current. Without a stored version the model is judged by {@link GatePolicy#defaults()}.
 */
public final class GatePolicies {
    public static final String ACTION = "gates.policy";
    /**
     * How many version numbers one change tries before it gives up. Each number goes to exactly one of the changes
     * racing for it, and a change that lost takes the next one, so with fewer concurrent changes than this every
     * change lands.
     */
    static final int MAX_ATTEMPTS = 64;
    /** The longest pause between two attempts: each pause is drawn at random below a bound that doubles up to this. */
    private static final long MAX_BACKOFF_MILLIS = 100;
    private final ArtifactStore artifacts;
    private final RegistryStore registry;
    private final AuditLog audit;
    private final Clock clock;

    public GatePolicies(ArtifactStore artifacts, RegistryStore registry, AuditLog audit, Clock clock) {
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The policy in force for the model: its newest version, or the defaults. */
    public GatePolicy current(ModelName model) {
        return history(model).stream().findFirst().orElseGet(GatePolicy::defaults);
    }

    /** Every stored version of the model's policy, newest first. */
    public List<GatePolicy> history(ModelName model) {
        return artifacts.list(ArtifactStore.DATASETS, prefix(model)).stream()
                .map(a -> DatasetsContainer.readJson(artifacts, a.name(), GatePolicy.class))
                .flatMap(Optional::stream)
                .sorted(Comparator.comparingInt(GatePolicy::version).reversed())
                .toList();
    }

    /** The longest reason a policy change keeps, as long as an approval's justification. */
    public static final int MAX_REASON = 2_000;

    /** What a change did: the policy in force after it, and whether it stored that policy as a new version. */
    public record Change(GatePolicy policy, boolean changed) {}

    /**
     * Stores {@code thresholds} as the model's next policy version, changed by {@code by} for {@code reason}; when
     * they are the thresholds in force already, answers that policy unchanged and stores nothing.
     */
    public Change update(ModelName model, GatePolicy thresholds, Principal by, String reason) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(thresholds, "thresholds");
        Objects.requireNonNull(by, "by");
        if (!Json.saysSomething(reason)) {
            throw new health.vigil.error.ValidationException("a gate policy change needs a reason; say in words"
                    + " why the thresholds change (\"reason\": \"...\"; white space or punctuation alone says nothing)");
        }
        if (reason.length() > MAX_REASON || !health.vigil.json.Json.isPrintableText(reason)) {
            throw new health.vigil.error.ValidationException("the reason must be one line of at most " + MAX_REASON
                    + " printable characters (no control or formatting characters, no half surrogate pairs); it is"
                    + " kept in the policy's history and its audit record");
        }
        for (VersionRecord version : registry.listVersions(model)) {
            if (Principal.sameIdentity(by.id(), version.registeredBy())) {
                AccessDeniedException refusal = new AccessDeniedException(ErrorCode.SEPARATION_OF_DUTIES, by.id()
                        + " uploaded version " + version.version() + " of `" + model + "` and cannot set the bar it is"
                        + " judged by; ask someone who did not upload it to change the gate policy");
                // Recorded as every refusal by separation of duties is: its code as the reason.
                Map<String, String> details = RefusedAttempts.details(refusal);
                details.put("detail", "uploader of version " + version.version());
                audit.record(by.id(), ACTION, "/models/" + model + "/gate-policy", RefusedAttempts.OUTCOME, details);
                throw refusal;
            }
        }
        // A change stored before its audit record was written (the audit store failed, or the process stopped in
        // between) is recorded now, in the name of whoever made it, before any later version follows it.
        int latest = latestVersion(model);
        if (latest > 0) {
            recordChange(model, latest, by);
        }
        // A change is not conditional on the version it read: losing the race for a number to another change is
        // no reason to refuse it, only to take the number after the winner's.
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            // The first attempt looks at the version just listed; a lost race lists again.
            if (attempt > 1) {
                latest = latestVersion(model);
            }
            // The same thresholds again would only put every report judged by the policy in force out of date.
            Optional<GatePolicy> inForce = latest == 0 ? Optional.of(GatePolicy.defaults()) : stored(model, latest);
            if (inForce.isPresent() && inForce.get().sameThresholds(thresholds)) {
                return new Change(inForce.get(), false);
            }
            int next = latest + 1;
            GatePolicy policy = thresholds.asVersion(next, by.id(), clock.instant(), reason);
            if (DatasetsContainer.putOnce(artifacts, prefix(model) + next + ".json", Json.writeBytes(policy))) {
                audit.recordOnce(ACTION + ":" + model + ":" + next, by.id(), ACTION,
                        "/models/" + model + "/gate-policy", "changed",
                        Map.of("version", Integer.toString(next), "reason", reason));
                return new Change(policy, true);
            }
            if (!backOff(attempt)) {
                break;
            }
        }
        throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "the gate policy of `" + model + "` kept"
                + " changing while it was being updated; read it again and retry");
    }

    /**
     * The audit record of the stored version {@code version}, written once under its key: a no-op when it exists; else
     * written in the name of the change's author, with {@code completedBy} naming the caller that found it missing.
     */
    private void recordChange(ModelName model, int version, Principal caller) {
        String key = ACTION + ":" + model + ":" + version;
        if (audit.findOnce(key).isPresent()) {
            return;
        }
        stored(model, version).ifPresent(stored -> audit.recordOnce(key, stored.changedBy(), ACTION,
                "/models/" + model + "/gate-policy", "changed", Map.of("version", Integer.toString(version), "reason",
                        stored.reason(), "completedBy", caller.id())));
    }

    /** Stored version {@code version} of the model's policy; empty when it is not there. */
    private Optional<GatePolicy> stored(ModelName model, int version) {
        return DatasetsContainer.readJson(artifacts, prefix(model) + version + ".json", GatePolicy.class);
    }

    /**
     * The newest stored version number, from the blob names alone (a race is decided by the name; reading every
     * version's JSON on each attempt would only widen the window). 0 when none is stored.
     */
    private int latestVersion(ModelName model) {
        String prefix = prefix(model);
        int latest = 0;
        for (ArtifactStore.StoredArtifact stored : artifacts.list(ArtifactStore.DATASETS, prefix)) {
            String name = stored.name();
            if (name.startsWith(prefix) && name.endsWith(".json")) {
                try {
                    latest = Math.max(latest, Integer.parseInt(name.substring(prefix.length(), name.length() - 5)));
                } catch (NumberFormatException notAVersion) {
                    // Not a policy version: nothing else is written here, but a stray name must not stop changes.
                }
            }
        }
        return latest;
    }

    /**
     * Waits a random time below a bound that doubles with each lost race (2, 4, 8 ... ms, at most
     * {@value #MAX_BACKOFF_MILLIS}), so that changes that lost together do not race again in step. False if the
     * thread was interrupted: the change then gives up.
     */
    private static boolean backOff(int attempt) {
        long bound = Math.min(MAX_BACKOFF_MILLIS, 1L << Math.min(attempt, 7));
        try {
            Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(bound + 1));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }


    private static String prefix(ModelName model) {
        return "gate-policies/" + model.value() + "/";
    }
}
