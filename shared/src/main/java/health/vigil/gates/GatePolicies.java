package health.vigil.gates;

import health.vigil.audit.AuditLog;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.RegistryStore;
import health.vigil.registry.RefusedAttempts;
import health.vigil.security.Principal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Each model's gate policy, versioned: version n is stored once as {@code gate-policies/{model}/{n}.json} in the
 * {@code datasets} container and never overwritten, so the policy a report names can always be read back. A
 * change is refused to anyone who uploaded a version of the model (they would be setting their own bar), and is
 * audited once under {@code gate-policy:{model}:{n}}. Thresholds the same as those in force (a retried request, a
 * script applied again) are no change: nothing is stored or audited, and the reports judged by the policy in force
 * stay current. Without a stored version the model is judged by {@link GatePolicy#defaults()}.
 *
 * <p>A stored version that does not read as a policy (damaged or replaced below the platform) is the platform's fault,
 * never a caller's: while it is the newest, every request that needs the policy in force is refused with 500
 * {@code GATE_POLICY_UNREADABLE}, naming the model and the version and saying to set a new policy, which {@link
 * #update} still stores. An older one is left out of the history. Each is logged once, never with what the file holds.
 */
public final class GatePolicies {
    public static final String ACTION = "gates.policy";
    private static final Logger LOG = Logger.getLogger(GatePolicies.class.getName());
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
    /** The stored versions found unreadable and logged, as {@code model/version: why}: each is logged once. */
    private final Set<String> loggedUnreadable = ConcurrentHashMap.newKeySet();

    public GatePolicies(ArtifactStore artifacts, RegistryStore registry, AuditLog audit, Clock clock) {
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The policy in force for the model: its newest version, or the defaults.
     *
     * @throws VigilException {@code GATE_POLICY_UNREADABLE} when the newest stored version does not read
     */
    public GatePolicy current(ModelName model) {
        int latest = latestVersion(model);
        return latest == 0 ? GatePolicy.defaults() : stored(model, latest);
    }

    /**
     * Every stored version of the model's policy, newest first; an older version that does not read is left out (and
     * logged once), since it is no longer in force.
     *
     * @throws VigilException {@code GATE_POLICY_UNREADABLE} when the newest stored version does not read
     */
    public List<GatePolicy> history(ModelName model) {
        List<Integer> versions = versions(model);
        List<GatePolicy> history = new ArrayList<>();
        for (int version : versions) {
            try {
                history.add(stored(model, version));
            } catch (VigilException unreadable) {
                if (unreadable.code() != ErrorCode.GATE_POLICY_UNREADABLE || version == versions.get(0)) {
                    throw unreadable;
                }
            }
        }
        return List.copyOf(history);
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
        // A newest version that does not read is in force in name only: the change takes the number after it.
        // A change is not conditional on the version it read: losing the race for a number to another change is
        // no reason to refuse it, only to take the number after the winner's.
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            // The first attempt looks at the version just listed; a lost race lists again.
            if (attempt > 1) {
                latest = latestVersion(model);
            }
            // The same thresholds again would only put every report judged by the policy in force out of date.
            Optional<GatePolicy> inForce = latest == 0 ? Optional.of(GatePolicy.defaults()) : readable(model, latest);
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
     * written in the name of the change's author, with {@code completedBy} naming the caller that found it missing. A
     * version that does not read names no author: its record stays missing, and the version is logged.
     */
    private void recordChange(ModelName model, int version, Principal caller) {
        String key = ACTION + ":" + model + ":" + version;
        if (audit.findOnce(key).isPresent()) {
            return;
        }
        readable(model, version).ifPresent(stored -> audit.recordOnce(key, stored.changedBy(), ACTION,
                "/models/" + model + "/gate-policy", "changed", Map.of("version", Integer.toString(version), "reason",
                        stored.reason(), "completedBy", caller.id())));
    }

    /** Stored version {@code version} of the model's policy, read as {@link #stored}; empty when it does not read. */
    private Optional<GatePolicy> readable(ModelName model, int version) {
        try {
            return Optional.of(stored(model, version));
        } catch (VigilException unreadable) {
            if (unreadable.code() != ErrorCode.GATE_POLICY_UNREADABLE) {
                throw unreadable;
            }
            return Optional.empty();
        }
    }

    /**
     * Stored version {@code version} of the model's policy, which its listed name says is there.
     *
     * @throws VigilException {@code GATE_POLICY_UNREADABLE} when it is gone or does not read as a policy
     */
    private GatePolicy stored(ModelName model, int version) {
        String name = prefix(model) + version + ".json";
        byte[] bytes = DatasetsContainer.read(artifacts, name)
                .orElseThrow(() -> unreadable(model, version, "it was removed"));
        com.fasterxml.jackson.databind.JsonNode tree;
        try {
            tree = Json.readTree(name, bytes);
        } catch (ValidationException notJson) {
            throw unreadable(model, version, "it is not JSON");
        }
        try {
            return Json.convert(name, tree, GatePolicy.class);
        } catch (ValidationException notAPolicy) {
            // The reader's words may quote the file: neither the answer nor the log repeats them.
            throw unreadable(model, version, "its fields do not make a valid gate policy");
        }
    }

    /**
     * The refusal of a request that needs a stored version that does not read ({@code why}, never what the file holds),
     * logged once for the version and the reason.
     */
    private VigilException unreadable(ModelName model, int version, String why) {
        String which = "version " + version + " of the gate policy of `" + model + "`";
        String fix = "vigil models gate-policy " + model + " --set FILE --reason TEXT";
        if (loggedUnreadable.add(model.value() + "/" + version + ": " + why)) {
            LOG.log(Level.SEVERE, which + " is stored but does not read (" + why + "): while it is the newest version,"
                    + " requests that need the model's policy are refused with GATE_POLICY_UNREADABLE; set a new"
                    + " policy (" + fix + "), and look into who changed the datasets container");
        }
        return new VigilException(ErrorCode.GATE_POLICY_UNREADABLE, which + " is stored but does not read (" + why
                + "): it was damaged or replaced after it was written, so the request that needs the policy in force"
                + " was refused and nothing was changed. The fault is the platform's, not the request's: a data"
                + " steward sets a new policy with " + fix + " (PUT /models/" + model + "/gate-policy), which is then"
                + " in force, and the request can be sent again");
    }

    /**
     * The newest stored version number, from the blob names alone (a race is decided by the name; reading every
     * version's JSON on each attempt would only widen the window). 0 when none is stored.
     */
    private int latestVersion(ModelName model) {
        return versions(model).stream().findFirst().orElse(0);
    }

    /** The stored version numbers, from the blob names, newest first. */
    private List<Integer> versions(ModelName model) {
        String prefix = prefix(model);
        List<Integer> versions = new ArrayList<>();
        for (ArtifactStore.StoredArtifact stored : artifacts.list(ArtifactStore.DATASETS, prefix)) {
            String name = stored.name();
            if (name.startsWith(prefix) && name.endsWith(".json")) {
                try {
                    versions.add(Integer.parseInt(name.substring(prefix.length(), name.length() - 5)));
                } catch (NumberFormatException notAVersion) {
                    // Not a policy version: nothing else is written here, but a stray name must not stop changes.
                }
            }
        }
        versions.sort(Comparator.reverseOrder());
        return versions;
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
