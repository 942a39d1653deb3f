package health.vigil.cards;

import health.vigil.cards.ModelCard.Attribute;
import health.vigil.cards.ModelCard.Section;
import health.vigil.model.CardFacts;
import health.vigil.model.Deployment;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Provenance;
import health.vigil.model.Slot;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.port.PredictionLog;
import health.vigil.registry.ModelRegistry;
import health.vigil.text.Words;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates a version's {@link ModelCard} from what the platform holds, never from text written for the card: the
 * manifest (including its optional {@code card} section), the registry's record (digests, provenance, signatures,
 * history, deployment), the stored gate report, the version's latest monitoring report, and the prediction log.
 * Nothing is cached: a card always shows the version as it is now.
 */
public final class ModelCards {
    /**
     * How far back the card counts the version's logged decisions: a day, because the prediction log is read
     * partition by partition (an hour and a shard each in Cosmos DB) on every card request.
     */
    static final int PREDICTION_WINDOW_HOURS = 24;
    static final String NO_MONITORING = "no production monitoring report exists yet: validity and fairness in local"
            + " data are not measured";
    private static final Pattern SEGMENT_CHECK = Pattern.compile("(.+?)=(.*):(auroc|calibration_error)");
    private static final Pattern ROWS_NOTE = Pattern.compile("(\\d+) rows");
    /** The gate that compares each segment of patients with the whole: the platform's fairness gate. */
    private static final String SEGMENTS_GATE = "segments";

    /** Where the card reads a version's gate report; the gates store it. */
    @FunctionalInterface
    public interface GateReports {
        Optional<GateReport> find(ModelVersion id);
    }

    /** What changed since the gates judged a version (empty when its report is current); the gates say. */
    @FunctionalInterface
    public interface GateChanges {
        List<String> changesSinceGates(VersionRecord version);
    }

    /**
     * Where the card reads the figures of a version's latest monitoring report on a slot (a wire name such as
     * {@code stable}); the monitoring check stores the reports.
     */
    @FunctionalInterface
    public interface MonitoringWindows {
        Optional<ModelCard.MonitoringWindow> latest(ModelVersion id, String slot);
    }

    private final ModelRegistry registry;
    private final GateReports reports;
    private final GateChanges gateChanges;
    private final MonitoringWindows monitoringWindows;
    private final PredictionLog predictions;
    private final Clock clock;

    public ModelCards(ModelRegistry registry, GateReports reports, GateChanges gateChanges,
            MonitoringWindows monitoringWindows, PredictionLog predictions, Clock clock) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.reports = Objects.requireNonNull(reports, "reports");
        this.gateChanges = Objects.requireNonNull(gateChanges, "gateChanges");
        this.monitoringWindows = Objects.requireNonNull(monitoringWindows, "monitoringWindows");
        this.predictions = Objects.requireNonNull(predictions, "predictions");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The card of a version; NOT_FOUND (404) when the model or version does not exist. */
    public ModelCard card(ModelName model, int version) {
        VersionRecord record = registry.getVersion(model, version);
        Optional<GateReport> report = reports.find(record.id());
        Optional<Deployment> deployment = registry.deployment(model);
        Optional<TrafficSlot> slot = deployment.flatMap(d -> d.slots().stream()
                .filter(s -> s.version() == version).findFirst());
        Instant now = clock.instant();
        // The slot the version serves; a version no longer deployed was last checked where it served patients.
        String monitoredSlot = slot.map(s -> s.slot().wireName()).orElse(Slot.STABLE.wireName());
        Optional<ModelCard.MonitoringWindow> window = monitoringWindows.latest(record.id(), monitoredSlot);
        ModelCard.Monitoring monitoring = new ModelCard.Monitoring(window.isPresent(),
                window.map(w -> "monitoring report " + w.id() + " (window " + Words.time(w.from()) + " to "
                        + Words.time(w.to()) + ", checked " + Words.time(w.checkedAt()) + ")").orElse(NO_MONITORING),
                slot.map(s -> s.slot().name().toLowerCase(Locale.ROOT)).orElse(null),
                slot.map(s -> s.weightBasisPoints() / 100).orElse(null), logged(model, version, now), PREDICTION_WINDOW_HOURS,
                window.orElse(null));
        List<ModelCard.Segment> segments = report.map(ModelCards::segments).orElse(List.of());
        List<Section> sections = sections(record, report, segments, monitoring);
        return new ModelCard(model.value(), version, record.stage().name(), now,
                summary(record, report, report.isEmpty() ? List.of() : gateChanges.changesSinceGates(record), slot,
                        sections), sections, registryPart(record), report.map(ModelCards::gates)
                .orElse(null), segments, report.map(GateReport::curves).orElse(null), record.signatures(),
                record.history(), monitoring);
    }

    private long logged(ModelName model, int version, Instant now) {
        AtomicLong count = new AtomicLong();
        predictions.scan(model, now.minus(Duration.ofHours(PREDICTION_WINDOW_HOURS)), now, r -> {
            if (r.version() == version) {
                count.incrementAndGet();
            }
        });
        return count.get();
    }

    private static ModelCard.Summary summary(VersionRecord record, Optional<GateReport> report, List<String> outOfDate,
            Optional<TrafficSlot> slot, List<Section> sections) {
        List<String> flagged = report.map(r -> r.checks().stream().filter(c -> c.outcome() == GateCheck.Outcome.FLAGGED)
                .map(c -> c.gate() + "/" + c.check()).toList()).orElse(List.of());
        List<String> notProvided = sections.stream().flatMap(s -> s.attributes().stream())
                .filter(a -> !a.provided()).map(Attribute::key).toList();
        return new ModelCard.Summary(record.manifest().description(), record.manifest().owner(),
                report.map(GateReport::passed).orElse(null), report.map(GateReport::failedGates).orElse(List.of()),
                outOfDate, flagged, report.map(ModelCards::fairnessOutcome).orElse(null),
                report.flatMap(r -> value(r, "discrimination", "auroc")).orElse(null),
                report.flatMap(r -> value(r, "calibration", "expected_calibration_error")).orElse(null),
                record.signatures().stream().map(s -> s.printedName() + " (" + s.meaning().phrase() + ")").toList(),
                slot.map(s -> s.slot().name().toLowerCase(Locale.ROOT)).orElse(null), notProvided);
    }

    /**
     * The segments gate's outcome in words: passed or failed, and what it flagged for the approver, so that a gate
     * that passed without judging every segment never reads as a plain pass. The check names are the segments gate's
     * ({@code health.vigil.gates.GateChecks#segments}).
     */
    static String fairnessOutcome(GateReport report) {
        String outcome = report.failedGates().contains(SEGMENTS_GATE) ? "failed" : "passed";
        List<GateCheck> flagged = report.checksOf(SEGMENTS_GATE).stream()
                .filter(c -> c.outcome() == GateCheck.Outcome.FLAGGED).toList();
        if (flagged.isEmpty()) {
            return outcome;
        }
        List<String> notJudged = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (GateCheck c : flagged) {
            if (c.check().endsWith(":outcomes_per_class")) {
                notJudged.add(c.check().substring(0, c.check().length() - ":outcomes_per_class".length()));
            } else if (c.check().endsWith(":worst_auroc_gap")) {
                reasons.add("no group of '" + c.check().substring(0, c.check().length() - ":worst_auroc_gap".length())
                        + "' compared with another");
            } else if (c.check().equals("segment_columns")) {
                reasons.add("no segment column declared, so no group compared with the whole");
            } else {
                reasons.add(c.check());
            }
        }
        if (!notJudged.isEmpty()) {
            reasons.add(0, "not judged for " + String.join(", ", notJudged)
                    + " (too few rows with or without the outcome)");
        }
        return outcome + ", " + Words.count(flagged.size(), "check") + " flagged: " + String.join("; ", reasons)
                + "; see " + Hti1Attribute.RISKS_AND_LIMITATIONS.paragraph() + " risks and limitations";
    }

    private static Optional<Double> value(GateReport report, String gate, String check) {
        return report.checksOf(gate).stream().filter(c -> c.check().equals(check)).map(GateCheck::value)
                .filter(Objects::nonNull).findFirst();
    }

    private static ModelCard.Registry registryPart(VersionRecord record) {
        Manifest m = record.manifest();
        Provenance p = m.provenance();
        return new ModelCard.Registry(record.packageSha256(), record.modelSha256(), record.registeredBy(),
                record.registeredAt(), p.datasetSha256(), p.datasetRows(), p.datasetDateRange(), p.codeCommit(),
                p.trainer(), p.trainedAt(), m.featurePipeline(), m.features().names(), patternDescriptions(m));
    }

    /** What each code feature's values look like, in the manifest's words, for the features it has words for. */
    private static Map<String, String> patternDescriptions(Manifest m) {
        Map<String, String> words = new LinkedHashMap<>();
        m.features().features().stream().filter(f -> f.patternDescription() != null)
                .forEach(f -> words.put(f.name(), f.patternDescription()));
        return words;
    }

    private static ModelCard.Gates gates(GateReport r) {
        return new ModelCard.Gates(r.passed(), r.evaluatedAt(), r.policyVersion(), r.datasetSha256(), r.datasetRows(),
                r.productionVersion(), r.checks(), r.notes());
    }

    /** The segment table from the report's per-segment checks (segments too small to judge are not in it). */
    static List<ModelCard.Segment> segments(GateReport report) {
        Map<String, double[]> metrics = new java.util.LinkedHashMap<>();
        Map<String, Integer> rows = new java.util.HashMap<>();
        Map<String, Boolean> passed = new java.util.HashMap<>();
        for (GateCheck check : report.checksOf("segments")) {
            Matcher m = SEGMENT_CHECK.matcher(check.check());
            if (!m.matches() || check.value() == null) {
                continue;
            }
            String key = m.group(1) + "\u0000" + m.group(2);
            double[] pair = metrics.computeIfAbsent(key, k -> new double[] {Double.NaN, Double.NaN});
            pair[m.group(3).equals("auroc") ? 0 : 1] = check.value();
            Matcher n = ROWS_NOTE.matcher(check.note() == null ? "" : check.note());
            rows.put(key, n.find() ? Integer.parseInt(n.group(1)) : 0);
            passed.merge(key, !check.failed(), Boolean::logicalAnd);
        }
        List<ModelCard.Segment> table = new ArrayList<>();
        metrics.forEach((key, pair) -> {
            String[] parts = key.split("\u0000", 2);
            table.add(new ModelCard.Segment(parts[0], parts[1], rows.get(key), pair[0], pair[1], passed.get(key)));
        });
        return table;
    }

    /**
     * A decision threshold as a reader of the card takes it in: to four decimals, trailing zeros dropped (0.1821, 0.3),
     * not the 17 digits a trained threshold has; the manifest keeps it exactly.
     */
    static String threshold(double threshold) {
        return java.math.BigDecimal.valueOf(threshold).setScale(4, java.math.RoundingMode.HALF_UP).stripTrailingZeros()
                .toPlainString();
    }

    private static List<Section> sections(VersionRecord record, Optional<GateReport> report,
            List<ModelCard.Segment> segments, ModelCard.Monitoring monitoring) {
        Manifest m = record.manifest();
        CardFacts c = m.cardFacts();
        Map<Hti1Attribute, Attribute> values = new EnumMap<>(Hti1Attribute.class);
        List<String> developer = new ArrayList<>(List.of("Owner: " + m.owner()));
        if (c.developerContact() != null) {
            developer.add("Contact: " + c.developerContact());
        }
        values.put(Hti1Attribute.DEVELOPER, c.developerContact() == null
                ? attribute(Hti1Attribute.DEVELOPER, false, "manifest owner, card.developerContact", developer,
                        "card.developerContact")
                : attribute(Hti1Attribute.DEVELOPER, true, "manifest owner, card.developerContact", developer, null));
        values.put(Hti1Attribute.FUNDING, fact(Hti1Attribute.FUNDING, "fundingSource", c.fundingSource()));
        values.put(Hti1Attribute.OUTPUT_VALUE, attribute(Hti1Attribute.OUTPUT_VALUE, true, "manifest output", List.of(
                String.format(Locale.ROOT, "The probability (0 to 1) that the patient is %s; at %s or above the decision"
                        + " is positive. Each score is returned with its top contributing factors (SHAP values).",
                        m.output().positiveLabel(), threshold(m.output().threshold()))), null));
        values.put(Hti1Attribute.OUTPUT_TYPE, attribute(Hti1Attribute.OUTPUT_TYPE, true, "manifest task", List.of(
                "Prediction (a risk probability), with a classification at the decision threshold (task: " + m.task()
                        + ")"), null));
        values.put(Hti1Attribute.INTENDED_USE, attribute(Hti1Attribute.INTENDED_USE, true, "manifest intendedUse",
                List.of(m.intendedUse()), null));
        values.put(Hti1Attribute.PATIENT_POPULATION, fact(Hti1Attribute.PATIENT_POPULATION, "patientPopulation",
                c.patientPopulation()));
        values.put(Hti1Attribute.INTENDED_USERS, fact(Hti1Attribute.INTENDED_USERS, "intendedUsers", c.intendedUsers()));
        values.put(Hti1Attribute.DECISION_ROLE, fact(Hti1Attribute.DECISION_ROLE, "decisionRole",
                c.decisionRole() == null ? null : "The output " + c.decisionRole() + " clinical management"));
        values.put(Hti1Attribute.OUT_OF_SCOPE, facts(Hti1Attribute.OUT_OF_SCOPE, "outOfScopeUses", c.outOfScopeUses()));
        List<String> risks = new ArrayList<>(m.limitations());
        report.ifPresent(r -> r.checks().stream().filter(k -> k.outcome() == GateCheck.Outcome.FLAGGED)
                .forEach(k -> risks.add("Flagged by the " + k.gate() + " gate (" + k.check() + ")"
                        + (k.note() == null ? "" : ": " + k.note()))));
        values.put(Hti1Attribute.RISKS_AND_LIMITATIONS, attribute(Hti1Attribute.RISKS_AND_LIMITATIONS, !risks.isEmpty(),
                "manifest limitations, gate report (flagged checks)", risks, risks.isEmpty() ? "limitations" : null));
        List<String> criteria = new ArrayList<>();
        if (c.inclusionCriteria() != null) {
            criteria.add("Inclusion: " + c.inclusionCriteria());
        }
        if (c.exclusionCriteria() != null) {
            criteria.add("Exclusion: " + c.exclusionCriteria());
        }
        boolean criteriaGiven = !criteria.isEmpty();
        Provenance p = m.provenance();
        criteria.add("Training data (registry): " + Words.count(p.datasetRows(), "row") + ", sha256 " + p.datasetSha256()
                + (p.datasetDateRange() == null ? "" : ", " + p.datasetDateRange()));
        values.put(Hti1Attribute.TRAINING_CRITERIA, attribute(Hti1Attribute.TRAINING_CRITERIA, criteriaGiven,
                "manifest card.inclusionCriteria and card.exclusionCriteria, provenance", criteria,
                criteriaGiven ? null : "card.inclusionCriteria, card.exclusionCriteria"));
        values.put(Hti1Attribute.INPUT_VARIABLES, inputVariables(c));
        values.put(Hti1Attribute.TRAINING_REPRESENTATIVENESS, fact(Hti1Attribute.TRAINING_REPRESENTATIVENESS,
                "demographicRepresentativeness", c.demographicRepresentativeness()));
        values.put(Hti1Attribute.TRAINING_RELEVANCE, fact(Hti1Attribute.TRAINING_RELEVANCE, "trainingDataRelevance",
                c.trainingDataRelevance()));
        List<String> fairness = new ArrayList<>();
        if (c.fairnessApproach() != null) {
            fairness.add(c.fairnessApproach());
        }
        report.ifPresent(r -> fairness.add("Platform fairness gate (policy version " + r.policyVersion() + "): every"
                + " segment's AUROC and calibration error are compared with the whole on the platform's evaluation"
                + " data; outcome: " + fairnessOutcome(r)));
        values.put(Hti1Attribute.FAIRNESS_APPROACH, attribute(Hti1Attribute.FAIRNESS_APPROACH, c.fairnessApproach() != null,
                "manifest card.fairnessApproach, gate report (segments gate)", fairness,
                c.fairnessApproach() == null ? "card.fairnessApproach" : null));
        values.put(Hti1Attribute.BIAS_MANAGEMENT, fact(Hti1Attribute.BIAS_MANAGEMENT, "biasMitigation", c.biasMitigation()));
        values.put(Hti1Attribute.EXTERNAL_SOURCE, fact(Hti1Attribute.EXTERNAL_SOURCE, "externalDataSource",
                c.externalDataSource()));
        values.put(Hti1Attribute.EXTERNAL_PARTY, fact(Hti1Attribute.EXTERNAL_PARTY, "externalValidationParty",
                c.externalValidationParty()));
        values.put(Hti1Attribute.EXTERNAL_REPRESENTATIVENESS, fact(Hti1Attribute.EXTERNAL_REPRESENTATIVENESS,
                "externalRepresentativeness", c.externalRepresentativeness()));
        values.put(Hti1Attribute.EXTERNAL_PROCESS, fact(Hti1Attribute.EXTERNAL_PROCESS, "externalValidationProcess",
                c.externalValidationProcess()));
        values.put(Hti1Attribute.TEST_VALIDITY, testValidity(report));
        values.put(Hti1Attribute.TEST_FAIRNESS, testFairness(report, segments));
        values.put(Hti1Attribute.EXTERNAL_VALIDITY, fact(Hti1Attribute.EXTERNAL_VALIDITY, "externalValidity",
                c.externalValidity()));
        values.put(Hti1Attribute.EXTERNAL_FAIRNESS, fact(Hti1Attribute.EXTERNAL_FAIRNESS, "externalFairness",
                c.externalFairness()));
        values.put(Hti1Attribute.OUTCOME_EVALUATIONS, facts(Hti1Attribute.OUTCOME_EVALUATIONS, "outcomeEvaluations",
                c.outcomeEvaluations()));
        values.put(Hti1Attribute.UPDATE_SCHEDULE, fact(Hti1Attribute.UPDATE_SCHEDULE, "updateSchedule", c.updateSchedule()));
        String logged = Words.count(monitoring.predictionsLogged(), "decision") + " of this version logged in the last "
                + Words.count(monitoring.windowHours(), "hour") + (monitoring.deployedSlot() == null ? "; not deployed"
                : "; deployed in the " + monitoring.deployedSlot() + " slot");
        values.put(Hti1Attribute.LOCAL_VALIDITY, localValidity(monitoring.report(), logged));
        values.put(Hti1Attribute.LOCAL_FAIRNESS, localFairness(monitoring.report(), logged));
        List<Section> sections = new ArrayList<>();
        for (Hti1Attribute.Group group : Hti1Attribute.Group.values()) {
            sections.add(new Section(group.paragraph(), group.title(),
                    group.attributes().stream().map(values::get).toList()));
        }
        return sections;
    }

    private static Attribute testValidity(Optional<GateReport> report) {
        if (report.isEmpty()) {
            return attribute(Hti1Attribute.TEST_VALIDITY, false, "gate report", List.of(),
                    "the version's gates have not run yet");
        }
        GateReport r = report.get();
        List<String> lines = new ArrayList<>();
        lines.add("Platform evaluation dataset " + (r.datasetSha256() == null ? "(none registered)"
                : "sha256 " + r.datasetSha256()
                        + (r.datasetRows() == null ? "" : ", " + Words.count(r.datasetRows(), "row"))) + "; gate policy version "
                + r.policyVersion());
        for (String gate : List.of("coverage", "discrimination", "calibration")) {
            for (GateCheck k : r.checksOf(gate)) {
                if (k.value() == null) {
                    continue;
                }
                lines.add(k.check() + " " + withInterval(k.value(), k.ciLower(), k.ciUpper()) + " ("
                        + k.outcome().name().toLowerCase(Locale.ROOT) + " " + k.threshold() + ")");
            }
        }
        boolean measured = lines.size() > 1;
        return attribute(Hti1Attribute.TEST_VALIDITY, measured, "gate report (coverage, discrimination, calibration)",
                lines,
                measured ? null : "an evaluation dataset registered for the model (POST /datasets)");
    }

    private static Attribute testFairness(Optional<GateReport> report, List<ModelCard.Segment> segments) {
        List<String> lines = new ArrayList<>();
        report.ifPresent(r -> r.checksOf("segments").stream().filter(k -> k.check().contains(":worst_"))
                .forEach(k -> lines.add(k.check() + (k.value() == null ? "" : " " + Words.number(k.value()))
                        + " (" + k.outcome().name().toLowerCase(Locale.ROOT) + (k.note() == null ? "" : "; " + k.note())
                        + ")")));
        if (!segments.isEmpty()) {
            lines.add(Words.count(segments.size(), "segment") + " measured: see the segment table");
        }
        boolean measured = !lines.isEmpty();
        return attribute(Hti1Attribute.TEST_FAIRNESS, measured, "gate report (segments gate)", lines,
                measured ? null : "an evaluation dataset with segment columns, judged by the gates");
    }

    private static Attribute localValidity(ModelCard.MonitoringWindow w, String logged) {
        if (w == null) {
            return attribute(Hti1Attribute.LOCAL_VALIDITY, false, "production monitoring (prediction log, labels)",
                    List.of(logged), NO_MONITORING);
        }
        List<String> lines = new ArrayList<>();
        lines.add(windowLine(w) + "; severity " + w.severity()
                + (w.reasons().isEmpty() ? "" : ": " + String.join("; ", w.reasons())));
        ModelCard.LocalPerformance p = w.performance();
        String fraction = w.labelledFraction() == null ? ""
                : String.format(Locale.ROOT, " (%.1f%%)", 100 * w.labelledFraction());
        if (p != null && p.suppressed() != null) {
            lines.add(Words.count(w.predictions(), "prediction") + (p.labelled() == null ? ""
                    : ", " + p.labelled() + " with an outcome" + fraction)
                    + "; outcome counts and realised performance withheld, " + p.suppressed());
        } else if (p == null || p.labelled() == 0) {
            lines.add(Words.count(w.predictions(), "prediction") + ", 0 with an outcome" + fraction);
            lines.add("Realised performance not measured: no outcome of the window's predictions has arrived");
        } else {
            lines.add(Words.count(w.predictions(), "prediction") + ", " + p.labelled() + " with an outcome" + fraction);
            lines.add(p.auroc() == null ? "AUROC not measured: the outcomes are all of one class"
                    : "AUROC " + withInterval(p.auroc(), p.aurocLower(), p.aurocUpper())
                            + (p.aurocNotJudged() == null ? "" : ", " + p.aurocNotJudged()));
            lines.add("Brier score " + withInterval(p.brier(), p.brierLower(), p.brierUpper())
                    + (p.brierNotJudged() == null ? "" : ", " + p.brierNotJudged())
                    + "; expected calibration error " + Words.number(p.calibrationError())
                    + (p.calibrationSlope() == null ? "" : "; calibration slope " + Words.number(p.calibrationSlope())));
        }
        if (w.expectedAuroc() != null) {
            lines.add("Expected AUROC from the scores alone (no labels): " + Words.number(w.expectedAuroc()));
        }
        lines.add(logged);
        return attribute(Hti1Attribute.LOCAL_VALIDITY, true, "production monitoring report " + w.id(), lines, null);
    }

    private static Attribute localFairness(ModelCard.MonitoringWindow w, String logged) {
        if (w == null) {
            return attribute(Hti1Attribute.LOCAL_FAIRNESS, false,
                    "production monitoring (prediction log, labels, segments)", List.of(logged), NO_MONITORING);
        }
        String source = "production monitoring report " + w.id() + " (segments)";
        if (w.segments().isEmpty()) {
            return attribute(Hti1Attribute.LOCAL_FAIRNESS, false, source, List.of(logged), "the monitoring report " + w.id()
                    + " has no segment: no prediction of its window has an outcome, or the model's evaluation dataset"
                    + " names no segment column that the logged model inputs give back (the report's reasons name"
                    + " such a column)");
        }
        List<String> lines = new ArrayList<>();
        lines.add(windowLine(w));
        for (ModelCard.LocalSegment g : w.segments()) {
            if (g.suppressed() != null) {
                lines.add(g.column() + "=" + g.value() + ": " + (g.labelled() == null ? ""
                        : g.labelled() + " with an outcome; ") + "counts withheld, " + g.suppressed());
                continue;
            }
            String counts = g.labelled() + " with an outcome, " + g.positives() + " positive";
            ModelCard.LocalPerformance p = g.performance();
            lines.add(g.column() + "=" + g.value() + ": " + (g.measured() && p != null
                    && p.auroc() != null
                    ? "AUROC " + withInterval(p.auroc(), p.aurocLower(), p.aurocUpper())
                            + ", expected calibration error " + Words.number(p.calibrationError())
                            + " (" + counts + ")"
                    : "no AUROC: " + counts + (g.positives() == 0 || g.positives().equals(g.labelled())
                            ? ", outcomes of one class only" : ", fewer outcomes than the monitoring policy needs")));
        }
        lines.add(logged);
        return attribute(Hti1Attribute.LOCAL_FAIRNESS, true, source, lines, null);
    }

    private static String windowLine(ModelCard.MonitoringWindow w) {
        return "Window " + Words.time(w.from()) + " to " + Words.time(w.to()) + " on the " + w.slot() + " slot, checked "
                + Words.time(w.checkedAt());
    }

    private static String withInterval(Double value, Double lower, Double upper) {
        return ModelCard.measured(value) + (lower == null || upper == null || !Double.isFinite(lower)
                || !Double.isFinite(upper) ? "" : " [95% CI " + Words.number(lower) + " to " + Words.number(upper) + "]");
    }

    private static Attribute inputVariables(CardFacts c) {
        if (c.inputVariables() == null) {
            return attribute(Hti1Attribute.INPUT_VARIABLES, false, "manifest card.inputVariables", List.of(),
                    "card.inputVariables");
        }
        List<String> lines = new ArrayList<>();
        c.inputVariables().forEach((variable, features) -> lines.add(variable + ": " + (features.isEmpty() ? "not used"
                : "used, as " + String.join(", ", features))));
        return attribute(Hti1Attribute.INPUT_VARIABLES, true, "manifest card.inputVariables", lines, null);
    }

    private static Attribute fact(Hti1Attribute attribute, String field, String value) {
        return value == null
                ? attribute(attribute, false, "manifest card." + field, List.of(), "card." + field)
                : attribute(attribute, true, "manifest card." + field, List.of(value), null);
    }

    private static Attribute facts(Hti1Attribute attribute, String field, List<String> values) {
        return values.isEmpty()
                ? attribute(attribute, false, "manifest card." + field, List.of(), "card." + field)
                : attribute(attribute, true, "manifest card." + field, values, null);
    }

    private static Attribute attribute(Hti1Attribute attribute, boolean provided, String source, List<String> values,
            String missing) {
        return new Attribute(attribute.key(), attribute.paragraph(), attribute.title(), provided, source, values,
                provided ? null : missing);
    }
}
