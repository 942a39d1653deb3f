package health.vigil.training;

import health.vigil.adapter.local.OwnerOnlyFiles;
import health.vigil.features.SegmentValues;
import health.vigil.model.Feature;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.PatientSplit;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * The platform's evaluation dataset for a clinical model, of patients the model was never trained on: either drawn
 * by the model's seeded synthetic generator with a seed of its own, or the test part of the patient split of the real
 * data the model was trained on. One CSV row per record with the raw clinical fields (what the feature pipeline
 * reads), the label, and the segment columns the gates judge by (age group and sex, plus race where the model has
 * it). This is what {@code vigil datasets register} takes.
 */
public record HeldOutEvaluationData(ClinicalModel model, byte[] csv, int rows, int positives, String label,
        String ageColumn, String sexColumn, List<String> segments) {
    public static final String LABEL = "outcome";
    public static final String AGE_GROUP = SegmentValues.AGE_GROUP;
    public static final String SEX_GROUP = SegmentValues.SEX_GROUP;
    /** Added to the training seed: the generator then draws other patients than training saw. */
    public static final long HELD_OUT_SEED_OFFSET = 1_000_003L;

    public HeldOutEvaluationData {
        csv = csv.clone();
        segments = List.copyOf(segments);
    }

    @Override
    public byte[] csv() {
        return csv.clone();
    }

    /** About {@code rows} held-out rows for a model trained with {@code trainingSeed}. */
    public static HeldOutEvaluationData generate(ClinicalModel model, int rows, long trainingSeed) {
        Dataset data = model.synthetic(rows, trainingSeed + HELD_OUT_SEED_OFFSET).dataset();
        return of(model, data, IntStream.range(0, data.size()).toArray());
    }

    /**
     * The rows of {@code data} whose patients the split of a training with {@code seed} puts in the test part: all the
     * records of those patients and none of the patients the model was trained on or had its threshold chosen on.
     */
    public static HeldOutEvaluationData testPart(ClinicalModel model, Dataset data, long seed) {
        PatientSplit.Part[] parts = ModelTraining.split(seed).assign(data.patientKeys());
        return of(model, data, IntStream.range(0, parts.length).filter(i -> parts[i] == PatientSplit.Part.TEST)
                .toArray());
    }

    private static HeldOutEvaluationData of(ClinicalModel model, Dataset data, int[] rows) {
        List<String> fields = model.pipeline().rawSchema().features().stream().map(Feature::name).toList();
        List<String> header = new ArrayList<>(fields);
        header.add(LABEL);
        header.add(AGE_GROUP);
        header.add(SEX_GROUP);
        int positives = 0;
        StringWriter out = new StringWriter();
        try (CSVPrinter printer = new CSVPrinter(out, CSVFormat.RFC4180.builder()
                .setHeader(header.toArray(String[]::new)).setRecordSeparator('\n').get())) {
            for (int i : rows) {
                Map<String, Object> record = data.records().get(i);
                List<Object> row = new ArrayList<>(header.size());
                for (String field : fields) {
                    Object value = record.get(field);
                    row.add(value == null ? "" : value.toString());
                }
                row.add(data.label(i) ? "1" : "0");
                positives += data.label(i) ? 1 : 0;
                row.add(model.ageGroup(record));
                row.add(model.sexGroup(record));
                printer.printRecord(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new HeldOutEvaluationData(model, out.toString().getBytes(StandardCharsets.UTF_8), rows.length, positives,
                LABEL, AGE_GROUP, SEX_GROUP, model.evaluationSegments());
    }

    /**
     * Writes the CSV to {@code file}, replacing it, as an owner-only file (0600, missing folders 0700) from its first
     * byte: rows from a real data file are patient records.
     */
    public Path write(Path file) {
        try {
            return OwnerOnlyFiles.replace(file, csv);
        } catch (IOException e) {
            throw new UncheckedIOException("the evaluation dataset " + file.getFileName() + " could not be written", e);
        }
    }
}
