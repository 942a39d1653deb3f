package health.vigil.training.data;

import health.vigil.hash.Sha256;
import health.vigil.model.FeatureSchema;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;

/**
 * The sha256 of a dataset that exists only in memory (a generated one): one tab-separated line per row
 * with the patient key, the label and the raw values in schema order (empty when missing). Equal data
 * gives an equal hash whatever the map implementation or key order.
 */
public final class DatasetDigest {
    private DatasetDigest() {}

    public static String sha256(FeatureSchema schema, List<Map<String, Object>> records, boolean[] labels,
            List<String> patientKeys) {
        MessageDigest digest = Sha256.newDigest();
        digest.update(("key\tlabel\t" + String.join("\t", schema.names()) + "\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < records.size(); i++) {
            line.setLength(0);
            line.append(patientKeys.get(i)).append('\t').append(labels[i] ? 1 : 0);
            for (String name : schema.names()) {
                Object value = records.get(i).get(name);
                line.append('\t').append(value == null ? "" : value.toString());
            }
            line.append('\n');
            digest.update(line.toString().getBytes(StandardCharsets.UTF_8));
        }
        return Sha256.hex(digest);
    }
}
