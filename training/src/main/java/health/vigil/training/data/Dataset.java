package health.vigil.training.data;

import health.vigil.error.ValidationException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Labelled raw clinical records ready for training: one validated raw record per example (missing values
 * absent from the map), its label, the key of the patient it belongs to (only to keep a patient's records
 * in one split; never logged or exported), and the provenance of the data (sha256, date range, source),
 * with notes on what loading did (rows excluded and why).
 */
public record Dataset(
        String source,
        List<Map<String, Object>> records,
        boolean[] labels,
        List<String> patientKeys,
        String sha256,
        String dateRange,
        List<String> notes) {

    public Dataset {
        Objects.requireNonNull(source, "source");
        records = Collections.unmodifiableList(records.stream().map(Collections::unmodifiableMap).toList());
        labels = labels.clone();
        patientKeys = List.copyOf(patientKeys);
        notes = notes == null ? List.of() : List.copyOf(notes);
        if (records.isEmpty()) {
            throw new ValidationException(source + " holds no usable rows");
        }
        if (labels.length != records.size() || patientKeys.size() != records.size()) {
            throw new IllegalArgumentException("records, labels and patient keys must have one entry per example");
        }
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("dataset sha256 must be 64 lower-case hex digits");
        }
    }

    public int size() {
        return records.size();
    }

    @Override
    public boolean[] labels() {
        return labels.clone();
    }

    public boolean label(int row) {
        return labels[row];
    }

    public long positives() {
        long n = 0;
        for (boolean label : labels) {
            if (label) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        // Never print records or patient keys.
        return "Dataset[" + source + ", " + size() + " rows, " + positives() + " positive]";
    }
}
