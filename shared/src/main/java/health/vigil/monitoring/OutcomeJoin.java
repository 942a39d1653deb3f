package health.vigil.monitoring;

import health.vigil.error.ValidationException;
import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.model.PredictionRecord;
import health.vigil.port.OutcomeStore;
import health.vigil.port.PredictionLog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * Joins realised outcomes to logged predictions: an outcome sent for the prediction's id, else one sent for the
 * patient (by pseudonym) on the UTC day the prediction was made. When both were sent and they disagree, one of them
 * is wrong and neither says which: the prediction is joined to none, and counted as conflicting, so that no report
 * takes one side silently. The prediction log is read as a stream and the outcome store by key, {@value #JOIN_BATCH}
 * predictions at a time, so memory does not grow with the window. A window's counts of a few outcomes are withheld
 * by the model's {@code minCellSize} ({@link SmallCells}).
 */
public final class OutcomeJoin {
    /** Prediction records joined per lookup of the outcome store. */
    static final int JOIN_BATCH = 1_000;

    private final PredictionLog predictions;
    private final OutcomeStore outcomes;
    private final ToIntFunction<ModelName> minCellSizes;

    /**
     * @param minCellSizes a model's {@code minCellSize} (its monitoring policy's): fewest outcomes a count of its
     *     window may show
     */
    public OutcomeJoin(PredictionLog predictions, OutcomeStore outcomes, ToIntFunction<ModelName> minCellSizes) {
        this.predictions = Objects.requireNonNull(predictions, "predictions");
        this.outcomes = Objects.requireNonNull(outcomes, "outcomes");
        this.minCellSizes = Objects.requireNonNull(minCellSizes, "minCellSizes");
    }

    /**
     * How much of a model's predictions logged in {@code [from, to)} has an outcome, with the counts the model's
     * {@code minCellSize} withholds withheld.
     */
    public LabelledWindow labelled(ModelName model, Instant from, Instant to) {
        Objects.requireNonNull(model, "model");
        if (!from.isBefore(to)) {
            throw new ValidationException("'from' must be before 'to'");
        }
        Map<String, long[]> parts = new TreeMap<>();
        long[] total = new long[4];
        List<PredictionRecord> pending = new ArrayList<>(JOIN_BATCH);
        predictions.scan(model, from, to, record -> {
            pending.add(record);
            if (pending.size() == JOIN_BATCH) {
                count(model, pending, total, parts);
                pending.clear();
            }
        });
        count(model, pending, total, parts);
        List<LabelledWindow.Part> list = new ArrayList<>();
        parts.forEach((key, c) -> {
            int at = key.indexOf('/');
            list.add(new LabelledWindow.Part(Integer.parseInt(key.substring(0, at)), key.substring(at + 1), c[0], c[1],
                    c[2], LabelledWindow.fraction(c[1], c[0]), null));
        });
        return SmallCells.window(new LabelledWindow(model.value(), from, to, total[0], total[1], total[2],
                LabelledWindow.fraction(total[1], total[0]), total[3], list, null), minCellSizes.applyAsInt(model));
    }

    /**
     * The outcome joined to each of these records, by prediction id; records without one, or with an outcome by id
     * and one by patient and day that disagree, are absent.
     */
    public Map<String, Boolean> outcomesOf(ModelName model, List<PredictionRecord> records) {
        return join(model, records, null);
    }

    /** {@link #outcomesOf}, adding to {@code conflicting}, when given, the ids of the records a conflict left out. */
    private Map<String, Boolean> join(ModelName model, List<PredictionRecord> records, List<String> conflicting) {
        List<String> keys = new ArrayList<>(records.size() * 2);
        for (PredictionRecord r : records) {
            keys.add(Outcome.predictionKey(r.predictionId()));
            if (r.patientPseudonym() != null) {
                keys.add(Outcome.patientDayKey(r.patientPseudonym(), r.time()));
            }
        }
        Map<String, Outcome> found = keys.isEmpty() ? Map.of() : outcomes.get(model, keys);
        Map<String, Boolean> joined = new HashMap<>();
        for (PredictionRecord r : records) {
            Outcome byId = found.get(Outcome.predictionKey(r.predictionId()));
            Outcome byPatientDay = r.patientPseudonym() == null ? null
                    : found.get(Outcome.patientDayKey(r.patientPseudonym(), r.time()));
            if (byId != null && byPatientDay != null && byId.positive() != byPatientDay.positive()) {
                if (conflicting != null) {
                    conflicting.add(r.predictionId());
                }
                continue;
            }
            Outcome o = byId != null ? byId : byPatientDay;
            if (o != null) {
                joined.put(r.predictionId(), o.positive());
            }
        }
        return joined;
    }

    private void count(ModelName model, List<PredictionRecord> records, long[] total, Map<String, long[]> parts) {
        if (records.isEmpty()) {
            return;
        }
        List<String> conflicting = new ArrayList<>();
        Map<String, Boolean> joined = join(model, records, conflicting);
        total[3] += conflicting.size();
        for (PredictionRecord r : records) {
            long[] part = parts.computeIfAbsent(r.version() + "/" + r.slot().wireName(), k -> new long[3]);
            Boolean positive = joined.get(r.predictionId());
            for (long[] c : new long[][] {total, part}) {
                c[0]++;
                if (positive != null) {
                    c[1]++;
                    if (positive) {
                        c[2]++;
                    }
                }
            }
        }
    }
}
