package health.vigil.features;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import health.vigil.model.Manifest;
import java.util.List;
import java.util.Map;

/**
 * The pipeline of a model whose inputs are exactly its schema's features, in order: numbers as they are,
 * booleans as 1/0, categories as their index in the feature's category list, missing values as NaN.
 */
public final class IdentityPipeline implements FeaturePipeline {
    private final FeatureSchema schema;
    private final List<String> columns;

    public IdentityPipeline(FeatureSchema schema) {
        for (Feature feature : schema.features()) {
            if (feature.type() == FeatureType.CODE) {
                throw new ValidationException(ErrorCode.UNSUPPORTED_FEATURE_PIPELINE, "feature '" + feature.name()
                        + "' is a code, which the identity pipeline cannot turn into a number; name a feature"
                        + " pipeline that groups its codes in the manifest's featurePipeline");
            }
        }
        this.schema = schema;
        this.columns = schema.names();
    }

    @Override
    public String id() {
        return Manifest.IDENTITY_PIPELINE;
    }

    @Override
    public FeatureSchema rawSchema() {
        return schema;
    }

    @Override
    public List<String> columns() {
        return columns;
    }

    @Override
    public java.util.Optional<java.util.function.Function<float[], Object>> readBack(String field) {
        return InputReadBack.identity(schema, field);
    }

    @Override
    public void transform(Map<String, Object> record, float[] out, int offset) {
        for (int i = 0; i < schema.size(); i++) {
            Feature feature = schema.get(i);
            out[offset + i] = encode(feature, record.get(feature.name()));
        }
    }

    static float encode(Feature feature, Object value) {
        if (value == null) {
            return Float.NaN;
        }
        return switch (feature.type()) {
            case NUMERIC, INTEGER -> ((Number) value).floatValue();
            case BOOLEAN -> ((Boolean) value) ? 1f : 0f;
            case CATEGORICAL -> feature.categories().indexOf((String) value);
            case CODE -> throw new IllegalStateException("the constructor rejects code features");
        };
    }
}
