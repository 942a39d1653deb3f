package health.vigil.training.data;

import health.vigil.error.ValidationException;
import health.vigil.hash.Sha256;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training dataset as the file the {@code datasets} container keeps, named by its sha256: a header line
 * {@code key, label, feature names...} and one tab-separated line per row with the patient key, the label (1/0) and
 * the raw values in schema order (empty when missing). The file's sha256 is the dataset's {@link DatasetDigest}, so
 * a model's provenance names the very file it was trained on, and retraining finds it by that name.
 */
public final class DatasetFile {
    private DatasetFile() {}

    /** The blob name of a dataset in the {@code datasets} container. */
    public static String blobName(String sha256) {
        return sha256 + ".tsv";
    }

    public static byte[] bytes(FeatureSchema schema, List<Map<String, Object>> records, boolean[] labels,
            List<String> patientKeys) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header(schema).getBytes(StandardCharsets.UTF_8));
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < records.size(); i++) {
            line.setLength(0);
            line.append(patientKeys.get(i)).append('\t').append(labels[i] ? 1 : 0);
            for (String name : schema.names()) {
                Object value = records.get(i).get(name);
                line.append('\t').append(value == null ? "" : value.toString());
            }
            line.append('\n');
            out.writeBytes(line.toString().getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    public static byte[] bytes(FeatureSchema schema, Dataset data) {
        return bytes(schema, data.records(), data.labels(), data.patientKeys());
    }

    /** Reads a dataset file back into raw records typed by {@code schema}; its sha256 is checked against the name. */
    public static Dataset read(FeatureSchema schema, InputStream in, String expectedSha256) {
        byte[] content;
        try {
            content = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the dataset " + expectedSha256, e);
        }
        String sha256 = Sha256.hex(content);
        if (!sha256.equals(expectedSha256)) {
            throw new ValidationException("the dataset file named " + expectedSha256 + " has sha256 " + sha256
                    + "; it is not the dataset the model was trained on");
        }
        List<Map<String, Object>> records = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(new java.io.ByteArrayInputStream(content),
                StandardCharsets.UTF_8))) {
            String header = reader.readLine();
            if (!header(schema).equals(header + "\n")) {
                throw new ValidationException("the dataset " + expectedSha256 + " does not have the columns of the"
                        + " model's schema");
            }
            int lineNumber = 1;
            for (String line; (line = reader.readLine()) != null; ) {
                lineNumber++;
                String[] cells = line.split("\t", -1);
                if (cells.length != schema.size() + 2) {
                    throw new ValidationException("line " + lineNumber + " of the dataset " + expectedSha256 + " has "
                            + cells.length + " cells; " + (schema.size() + 2) + " are expected");
                }
                keys.add(cells[0]);
                labels.add(cells[1].equals("1"));
                Map<String, Object> record = new LinkedHashMap<>();
                for (int f = 0; f < schema.size(); f++) {
                    if (!cells[f + 2].isEmpty()) {
                        record.put(schema.get(f).name(), value(schema.get(f), cells[f + 2]));
                    }
                }
                records.add(record);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the dataset " + expectedSha256, e);
        }
        boolean[] y = new boolean[labels.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.get(i);
        }
        return new Dataset("datasets/" + blobName(sha256), records, y, keys, sha256, null, List.of());
    }

    private static Object value(Feature feature, String text) {
        try {
            return switch (feature.type()) {
                case NUMERIC, INTEGER -> text.contains(".") || text.contains("E") ? (Object) Double.valueOf(text)
                        : (Object) Long.valueOf(text);
                case BOOLEAN -> Boolean.valueOf(text);
                case CATEGORICAL, CODE -> text;
            };
        } catch (NumberFormatException e) {
            throw new ValidationException("feature " + feature.name() + " holds a value that is not a number");
        }
    }

    private static String header(FeatureSchema schema) {
        return "key\tlabel\t" + String.join("\t", schema.names()) + "\n";
    }
}
