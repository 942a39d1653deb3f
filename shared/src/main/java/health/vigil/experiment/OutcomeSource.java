package health.vigil.experiment;

import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import java.util.List;
import java.util.Map;

/** The realised outcome of each of these predictions that has one, by prediction id (positive: true). */
@FunctionalInterface
public interface OutcomeSource {
    Map<String, Boolean> outcomesOf(ModelName model, List<PredictionRecord> records);
}
