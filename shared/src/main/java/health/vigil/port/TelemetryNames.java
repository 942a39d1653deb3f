package health.vigil.port;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The one catalogue of Vigil's metric, span and attribute names. The telemetry adapter records these names, the
 * workbooks and alert rules query them, and {@code docs/telemetry.md} lists them; tests hold all three to this
 * class. A signal whose {@link Signal#plannedFor()} is set is reserved for a capability that is not built yet:
 * whoever builds it records exactly that name with exactly those attributes, and clears the mark.
 */
public final class TelemetryNames {
    /** The OpenTelemetry instrumentation scope of every meter and tracer. */
    public static final String INSTRUMENTATION = "health.vigil";

    // Attributes (dimensions). Values are ids, slots, codes and outcomes only, never patient data.
    public static final String MODEL_NAME = "vigil.model.name";
    public static final String MODEL_VERSION = "vigil.model.version";
    public static final String TRAFFIC_SLOT = "vigil.traffic_slot";
    public static final String ROWS = "vigil.scoring.rows";
    public static final String OPERATION = "vigil.operation";
    public static final String ERROR_CODE = "vigil.error.code";
    public static final String OUTCOME = "vigil.outcome";
    public static final String EVENT_TYPE = "vigil.event.type";
    public static final String GATE = "vigil.gate";
    public static final String FEATURE = "vigil.feature";
    public static final String DRIFT_TEST = "vigil.drift.test";
    public static final String PERFORMANCE_METRIC = "vigil.performance.metric";
    public static final String PERFORMANCE_SOURCE = "vigil.performance.source";

    // The values an attribute that is not an id may take; the adapter records anything else as "other".
    /** Every outcome a signal is recorded with; each signal's own are listed in {@code docs/telemetry.md}. */
    public static final Set<String> OUTCOMES = Set.of("registered", "rejected", "duplicate", "ignored", "published",
            "failed", "intact", "broken", "passed", "flagged", "pass", "fail", "extend", "scored", "dropped", "approved",
            "refused", "drifted", "stable", "insufficient_data", "exported");
    public static final Set<String> GATES = Set.of("coverage", "discrimination", "calibration", "segments",
            "compatibility", "latency", "explanation", "provenance", "leakage", "card");
    public static final Set<String> DRIFT_TESTS = Set.of("psi", "ks", "chi_square");
    public static final Set<String> PERFORMANCE_METRICS = Set.of("auroc", "brier", "calibration_error");
    public static final Set<String> PERFORMANCE_SOURCES = Set.of("labels", "label_free");
    /** The steps off any function's invocation whose failures are counted: a batch job, a shadow's hand-over. */
    public static final Set<String> BACKGROUND_OPERATIONS = Set.of("batch", "shadow");
    /** A function's name as the Functions host gives it: words of letters, each capitalised ({@code ScoreBatchPartition}). */
    private static final Pattern FUNCTION_NAME = Pattern.compile("(?:[A-Z][a-z]+){1,8}");

    // Metrics and spans recorded today.
    public static final String SCORING_DURATION = "vigil.scoring.duration";
    public static final String SCORING_ROWS = "vigil.scoring.rows";
    public static final String ERRORS = "vigil.errors";
    public static final String REGISTRATIONS = "vigil.registrations";
    public static final String EVENTS = "vigil.events";
    public static final String AUDIT_VERIFICATIONS = "vigil.audit.verifications";
    public static final String SCORE_SPAN = "vigil.score";
    public static final String GATE_CHECKS = "vigil.gates.checks";
    public static final String SHADOW_MIRRORED = "vigil.shadow.mirrored";
    public static final String BATCH_ROWS = "vigil.batch.rows";
    public static final String TRAFFIC_WEIGHT = "vigil.traffic.weight";
    public static final String CANARY_ANALYSES = "vigil.canary.analyses";
    public static final String APPROVALS = "vigil.approvals";
    public static final String DRIFT_CHECKS = "vigil.drift.checks";
    public static final String DRIFT_STATISTIC = "vigil.drift.statistic";
    public static final String PERFORMANCE = "vigil.performance";
    public static final String AUDIT_EXPORTS = "vigil.audit.exports";

    /** What kind of signal a name is. */
    public enum Kind {
        COUNTER,
        HISTOGRAM,
        GAUGE,
        SPAN
    }

    /**
     * One metric or span: its name, kind, unit (empty for spans), the attributes it carries and when it is recorded;
     * {@code plannedFor} names the capability that will record it, empty when the code records it today.
     */
    public record Signal(String name, Kind kind, String unit, List<String> attributes, String recordedWhen,
            Optional<String> plannedFor) {
        public Signal {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(unit, "unit");
            attributes = List.copyOf(attributes);
            Objects.requireNonNull(recordedWhen, "recordedWhen");
            Objects.requireNonNull(plannedFor, "plannedFor");
        }

        public boolean isPlanned() {
            return plannedFor.isPresent();
        }
    }

    private static final List<String> SCORED = List.of(MODEL_NAME, MODEL_VERSION, TRAFFIC_SLOT);

    /** Every signal, recorded or reserved. */
    public static final List<Signal> SIGNALS = List.of(
            emitted(SCORING_DURATION, Kind.HISTOGRAM, "s", SCORED,
                    "a scoring request (one or many rows) has run through the model; stable and canary, never shadow"),
            emitted(SCORING_ROWS, Kind.COUNTER, "{row}", SCORED,
                    "with each scoring request: the patients scored for the caller; stable and canary, never shadow"),
            emitted(ERRORS, Kind.COUNTER, "{error}", List.of(OPERATION, ERROR_CODE),
                    "an operation failed with a Vigil error code"),
            emitted(REGISTRATIONS, Kind.COUNTER, "{registration}", List.of(OUTCOME),
                    "a package registration ended: registered, rejected, duplicate, ignored"),
            emitted(EVENTS, Kind.COUNTER, "{event}", List.of(EVENT_TYPE, MODEL_NAME, OUTCOME),
                    "the event publisher published a Vigil event (published) or could not (failed)"),
            emitted(AUDIT_VERIFICATIONS, Kind.COUNTER, "{verification}", List.of(OUTCOME),
                    "the audit chain of a period was verified: intact or broken"),
            emitted(SCORE_SPAN, Kind.SPAN, "", List.of(MODEL_NAME, MODEL_VERSION, TRAFFIC_SLOT, ROWS),
                    "the time spent in the model runtime, as a child of the request's span; shadow batches too"),
            emitted(TRAFFIC_WEIGHT, Kind.GAUGE, "%", SCORED,
                    "a canary ramp changed a slot's share of live traffic (start, step, promotion, rollback, abort)"),
            emitted(CANARY_ANALYSES, Kind.COUNTER, "{analysis}", List.of(MODEL_NAME, MODEL_VERSION, OUTCOME),
                    "a canary analysis of a ramp step ended: pass, fail or extend (too little evidence)"),
            emitted(SHADOW_MIRRORED, Kind.COUNTER, "{row}", List.of(MODEL_NAME, MODEL_VERSION, OUTCOME),
                    "rows mirrored to a shadow version ended: scored, dropped (its queue was full) or failed"),
            emitted(BATCH_ROWS, Kind.COUNTER, "{row}", List.of(MODEL_NAME, MODEL_VERSION, OUTCOME),
                    "rows of a batch job made durable by a checkpoint: scored or refused"),
            emitted(GATE_CHECKS, Kind.COUNTER, "{check}", List.of(MODEL_NAME, MODEL_VERSION, GATE, OUTCOME),
                    "one check of a gate of a version's evaluation ended: passed, failed or flagged"),
            emitted(APPROVALS, Kind.COUNTER, "{decision}", List.of(MODEL_NAME, MODEL_VERSION, OUTCOME),
                    "a governance decision on a version: approved, rejected, or refused (separation of duties)"),
            emitted(DRIFT_CHECKS, Kind.COUNTER, "{check}", List.of(MODEL_NAME, MODEL_VERSION, OUTCOME),
                    "a drift check of a deployed version ended: drifted, stable or insufficient_data"),
            emitted(DRIFT_STATISTIC, Kind.GAUGE, "1", List.of(MODEL_NAME, MODEL_VERSION, FEATURE, DRIFT_TEST),
                    "with each drift check: one statistic (psi, ks, chi_square) of one feature or of the score"),
            emitted(PERFORMANCE, Kind.GAUGE, "1", List.of(MODEL_NAME, MODEL_VERSION, PERFORMANCE_METRIC,
                            PERFORMANCE_SOURCE),
                    "with each drift check: auroc, brier or calibration_error, from labels or label_free"),
            emitted(AUDIT_EXPORTS, Kind.COUNTER, "{export}", List.of(OUTCOME),
                    "an audit export of a period ended: exported or failed"));

    private TelemetryNames() {}

    private static Signal emitted(String name, Kind kind, String unit, List<String> attributes, String when) {
        return planned(name, kind, unit, attributes, when, null);
    }

    /** A signal reserved for {@code capability} ({@code null}: recorded today). */
    private static Signal planned(String name, Kind kind, String unit, List<String> attributes, String when,
            String capability) {
        return new Signal(name, kind, unit, attributes, when, Optional.ofNullable(capability));
    }

    /**
     * Whether {@code operation} may be the {@link #OPERATION} of an error: a function's name or one of the
     * {@link #BACKGROUND_OPERATIONS}. Digits are never part of one, so an identifier such as {@code MRN00123} is not.
     */
    public static boolean isOperation(String operation) {
        return operation != null && operation.length() <= 64
                && (BACKGROUND_OPERATIONS.contains(operation) || FUNCTION_NAME.matcher(operation).matches());
    }

    /** The signal of that name, if the catalogue has one. */
    public static Optional<Signal> signal(String name) {
        return SIGNALS.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** Every attribute name any signal carries. */
    public static Set<String> attributes() {
        return SIGNALS.stream().flatMap(s -> s.attributes().stream()).collect(Collectors.toUnmodifiableSet());
    }

    /** The names the code records today (metrics and spans). */
    public static Set<String> emitted() {
        return names(SIGNALS.stream().filter(s -> !s.isPlanned()));
    }

    private static Set<String> names(Stream<Signal> signals) {
        return signals.map(Signal::name).collect(Collectors.toUnmodifiableSet());
    }
}
