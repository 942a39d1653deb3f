package health.vigil.training.data;

import health.vigil.hash.Sha256;
import health.vigil.model.FeatureSchema;
import java.util.List;
import java.util.Map;

/**
 * The sha256 of a dataset that exists only in memory (a generated one): the sha256 of its {@link DatasetFile}, one
 * tab-separated line per row with the patient key, the label and the raw values in schema order (empty when
 * missing). Equal data gives an equal hash whatever the map implementation or key order.
 */
public final class DatasetDigest {
    private DatasetDigest() {}

    public static String sha256(FeatureSchema schema, List<Map<String, Object>> records, boolean[] labels,
            List<String> patientKeys) {
        return Sha256.hex(DatasetFile.bytes(schema, records, labels, patientKeys));
    }
}
